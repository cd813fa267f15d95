// switchboard-fuzz TARGET [libFuzzer options] [CORPUS...]: runs libFuzzer on one fuzz target.
// Built only by Fuzz/run.sh (SWITCHBOARD_FUZZ=1), with coverage instrumentation and AddressSanitizer.
import CLibFuzzer
import FuzzTargets
import Glibc

guard CommandLine.argc > 1, Selection.target != nil else {
    let names = Selection.targets.map(\.name).joined(separator: " ")
    Selection.report("usage: switchboard-fuzz TARGET [libFuzzer options] [CORPUS...]; targets: \(names)")
    exit(64)
}
// libFuzzer gets the arguments after the target's name, behind the program's own name.
CommandLine.unsafeArgv[1] = CommandLine.unsafeArgv[0]
var argc = CommandLine.argc - 1
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv + 1
exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in testOneInput(data, size) })
