// Throughput of the mqtt layer on a typical telemetry message: a PUBLISH of a 64-byte payload to
// "telemetry/device-001" at QoS 0 and 1. Packets per second are the items_per_second column;
// bytes per second count the encoded MQTT bytes (both directions for the session round trips).
//
//   build/release/bench/mqtls_codec_bench [--benchmark_filter=Decode] [--benchmark_min_time=0.2]
#include <benchmark/benchmark.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "mqtls/mqtt.hpp"

namespace {

using namespace mqtls;
using namespace mqtls::mqtt;

constexpr std::string_view topic = "telemetry/device-001";

const std::array<std::uint8_t, 64> payload = [] {
    std::array<std::uint8_t, 64> bytes{};
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        bytes[i] = static_cast<std::uint8_t>('a' + i % 26);
    }
    return bytes;
}();

Publish telemetry(QoS qos) {
    Publish p;
    p.topic = topic;
    p.payload = payload;
    p.qos = qos;
    p.packet_id = qos == QoS::at_most_once ? 0 : 1;
    return p;
}

QoS qos_of(const benchmark::State& state) { return static_cast<QoS>(state.range(0)); }

void count(benchmark::State& state, std::size_t bytes_per_packet) {
    state.SetItemsProcessed(state.iterations());
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(bytes_per_packet));
}

void bench_encode_publish(benchmark::State& state) {
    const Publish p = telemetry(qos_of(state));
    std::array<std::uint8_t, 256> out{};
    std::size_t size = 0;
    for (auto _ : state) {
        const auto written = encode(p, out);
        benchmark::DoNotOptimize(written);
        benchmark::ClobberMemory();
        size = *written;
    }
    count(state, size);
}
BENCHMARK(bench_encode_publish)->ArgName("qos")->Arg(0)->Arg(1);

// The scatter-gather path: fixed header, topic and packet identifier only; the payload is sent
// from where it already is. Bytes count the whole packet the header stands for.
void bench_encode_publish_header(benchmark::State& state) {
    const Publish p = telemetry(qos_of(state));
    std::array<std::uint8_t, 64> out{};
    std::size_t size = 0;
    for (auto _ : state) {
        const auto written = encode_publish_header(p, out);
        benchmark::DoNotOptimize(written);
        benchmark::ClobberMemory();
        size = *written;
    }
    count(state, size + p.payload.size());
}
BENCHMARK(bench_encode_publish_header)->ArgName("qos")->Arg(0)->Arg(1);

void bench_decode_publish(benchmark::State& state) {
    std::array<std::uint8_t, 256> wire{};
    const auto size = encode(telemetry(qos_of(state)), wire);
    if (!size) {
        state.SkipWithError(size.error().message());
        return;
    }
    const bytes_view in{wire.data(), *size};
    const DecodeLimits limits{};
    for (auto _ : state) {
        auto decoded = decode(in, limits);
        benchmark::DoNotOptimize(decoded);
    }
    count(state, *size);
}
BENCHMARK(bench_decode_publish)->ArgName("qos")->Arg(0)->Arg(1);

// A Session connected through a scripted CONNECT/CONNACK, its output discarded.
struct ConnectedSession {
    SessionStorage<> storage;
    Session session{SessionConfig{}, storage.memory()};
    Instant now = Instant::from_millis(1000);

    bool connect() {
        Connect c;
        c.client_id = "bench";
        c.keep_alive_s = 60;
        if (!session.start_connect(c, now)) return false;
        session.consume_output(session.pending_output().size());
        const std::uint8_t connack[] = {0x20, 0x02, 0x00, 0x00};
        const auto consumed = session.receive(connack, now);
        const auto event = session.poll_event();
        return consumed && *consumed == sizeof connack && event &&
               std::holds_alternative<Connected>(*event);
    }
};

// publish() QoS 1, hand the PUBLISH to the "transport", receive the PUBACK, poll PublishAcked.
void bench_session_publish_qos1_round_trip(benchmark::State& state) {
    const auto s = std::make_unique<ConnectedSession>();
    if (!s->connect()) {
        state.SkipWithError("connect failed");
        return;
    }
    const Publish message = telemetry(QoS::at_least_once);
    std::uint8_t puback[] = {0x40, 0x02, 0x00, 0x00};
    std::size_t sent = 0;
    for (auto _ : state) {
        const auto id = s->session.publish(message, s->now);
        if (!id) {
            state.SkipWithError(id.error().message());
            break;
        }
        sent = s->session.pending_output().size();
        s->session.consume_output(sent);
        puback[2] = static_cast<std::uint8_t>(*id >> 8);
        puback[3] = static_cast<std::uint8_t>(*id & 0xff);
        const auto consumed = s->session.receive(puback, s->now);
        const auto event = s->session.poll_event();
        if (!consumed || *consumed != sizeof puback || !event ||
            !std::holds_alternative<PublishAcked>(*event)) {
            state.SkipWithError("PUBACK not handled");
            break;
        }
        benchmark::DoNotOptimize(event);
    }
    count(state, sent + sizeof puback);
}
BENCHMARK(bench_session_publish_qos1_round_trip);

// An incoming PUBLISH through receive() to a MessageReceived event; at QoS 1 the PUBACK the
// session queues is handed to the "transport" too.
void bench_session_receive_publish(benchmark::State& state) {
    const auto s = std::make_unique<ConnectedSession>();
    std::array<std::uint8_t, 256> wire{};
    const auto size = encode(telemetry(qos_of(state)), wire);
    if (!s->connect() || !size) {
        state.SkipWithError("set-up failed");
        return;
    }
    const bytes_view in{wire.data(), *size};
    std::size_t answered = 0;
    for (auto _ : state) {
        const auto consumed = s->session.receive(in, s->now);
        const auto event = s->session.poll_event();
        if (!consumed || *consumed != in.size() || !event ||
            !std::holds_alternative<MessageReceived>(*event)) {
            state.SkipWithError("PUBLISH not delivered");
            break;
        }
        benchmark::DoNotOptimize(event);
        answered = s->session.pending_output().size();
        s->session.consume_output(answered);
    }
    count(state, *size + answered);
}
BENCHMARK(bench_session_receive_publish)->ArgName("qos")->Arg(0)->Arg(1);

}  // namespace

int main(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    // The memory a session works in, for the size table next to the speed figures.
    benchmark::AddCustomContext("sizeof(Session)", std::to_string(sizeof(Session)));
    benchmark::AddCustomContext("sizeof(SessionStorage<>)",
                                std::to_string(sizeof(SessionStorage<>)));
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
