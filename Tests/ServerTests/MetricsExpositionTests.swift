import Server
import Testing

/// The Prometheus text renderer on its own: value spellings, names, merging, order.
@Suite struct MetricsExpositionTests {
    @Test func valuesAreSpelledAsPrometheusReadsThem() {
        let family = MetricFamily(name: "x", help: "", type: .gauge, samples: [
            MetricSample(labels: ["v": "a"], value: 42), MetricSample(labels: ["v": "b"], value: -0.25),
            MetricSample(labels: ["v": "c"], value: .nan), MetricSample(labels: ["v": "d"], value: .infinity),
            MetricSample(labels: ["v": "e"], value: -.infinity), MetricSample(labels: ["v": "f"], value: 1e20),
        ])
        #expect(MetricsExposition.render([family]) == """
            # HELP x 
            # TYPE x gauge
            x{v="a"} 42
            x{v="b"} -0.25
            x{v="c"} NaN
            x{v="d"} +Inf
            x{v="e"} -Inf
            x{v="f"} 1e+20

            """)
    }

    @Test func invalidNamesAreMadeValidAndFamiliesWithOneNameMerged() {
        let families = [
            MetricFamily(name: "2fast.requests", help: "first", type: .counter, samples: [MetricSample(value: 1)]),
            MetricFamily(name: "2fast_requests", help: "second", type: .gauge, samples: [MetricSample(labels: ["a-b": "x", "c:d": "y"], value: 2)]),
            MetricFamily(name: "a:b", help: "colons are allowed in metric names", type: .counter, samples: []),
        ]
        #expect(MetricsExposition.render(families) == """
            # HELP _2fast_requests first
            # TYPE _2fast_requests counter
            _2fast_requests 1
            _2fast_requests{a_b="x",c_d="y"} 2
            # HELP a:b colons are allowed in metric names
            # TYPE a:b counter

            """)
    }

    @Test func nothingRendersAsNothing() {
        #expect(MetricsExposition.render([]) == "")
    }
}
