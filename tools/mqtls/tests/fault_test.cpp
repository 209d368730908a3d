// Faults against a real Mosquitto (persistence on) with `mqtls node --outbox`: the link is cut
// (whole, and mid-record), the node is killed with SIGKILL and restarted, the broker is stopped
// and restarted, connections are refused for a while, k times each, through a fault-injecting
// proxy on loopback. A collector (in this process, persistent session, reconnecting) tallies
// the readings. At the end the node is stopped cleanly and the collector must hold every seq
// 1..N: no reading lost. Duplicates are expected (a reading in flight at a cut is sent again)
// and reported per fault kind.
#include <gtest/gtest.h>
#include <unistd.h>
#include <csignal>

#include <fcntl.h>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "mqtls/client/client.hpp"
#include "mqtls/testing/fault_proxy.hpp"
#include "mqtls/testing/mosquitto_broker.hpp"
#include "mqtls/testing/process.hpp"
#include "mqtls/testing/spawn.hpp"
#include "reading_tally.hpp"
#include "support/cli_test_support.hpp"

namespace {

using mqtls::cli_test::eventually;
using mqtls::testing::FaultProxy;
using mqtls::testing::MosquittoBroker;
using namespace std::chrono_literals;

constexpr const char* device = "fault-node-1";
constexpr const char* device_password = "fault-device-password";
constexpr const char* collector_password = "fault-collector-password";
// k, the times each fault happens, and the readings delivered between two faults: small for CI;
// bench/fault_soak.sh raises them through the environment for a long soak.
int env_or(const char* name, int fallback) {
    const char* value = std::getenv(name);
    return value != nullptr && std::atoi(value) > 0 ? std::atoi(value) : fallback;
}
const int rounds = env_or("MQTLS_FAULT_ROUNDS", 2);
const std::uint64_t readings_between =
    static_cast<std::uint64_t>(env_or("MQTLS_FAULT_READINGS_BETWEEN", 8));

// `mqtls node` as a child process whose output goes to a file, so that it can be killed.
class NodeProcess {
public:
    NodeProcess(std::vector<std::string> arguments, std::string log_path)
        : arguments_(std::move(arguments)), log_path_(std::move(log_path)) {}
    ~NodeProcess() { kill_now(); }
    NodeProcess(const NodeProcess&) = delete;
    NodeProcess& operator=(const NodeProcess&) = delete;

    bool start() {
        const int log = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (log < 0) return false;
        auto spawned = mqtls::testing::spawn(arguments_, log, true);
        ::close(log);
        pid_ = spawned ? *spawned : -1;
        return spawned.has_value();
    }
    // SIGKILL: a crash, a power cut of the process.
    void kill_now() {
        if (pid_ <= 0) return;
        mqtls::testing::kill_and_reap(pid_);
        pid_ = -1;
    }
    // SIGTERM and the exit status (or -1 if it did not exit within `grace`).
    int stop(std::chrono::milliseconds grace) {
        if (pid_ <= 0) return -1;
        ::kill(pid_, SIGTERM);
        const auto status = mqtls::testing::wait_for_exit(pid_, grace);
        if (!status) {
            kill_now();
            return -1;
        }
        pid_ = -1;
        return mqtls::testing::status_code(*status);
    }
    [[nodiscard]] std::string log() const { return mqtls::cli_test::read_file(log_path_); }

private:
    std::vector<std::string> arguments_;
    std::string log_path_;
    pid_t pid_ = -1;
};

std::uint64_t seq_of(const std::string& payload);

// Subscribes to telemetry/# with a persistent session and keeps reconnecting until stopped,
// tallying every reading.
class Collector {
public:
    explicit Collector(const MosquittoBroker& broker) : broker_(broker) {
        thread_ = std::thread([this] { run(); });
    }
    ~Collector() {
        stop_ = true;
        thread_.join();
    }
    Collector(const Collector&) = delete;
    Collector& operator=(const Collector&) = delete;

    std::uint64_t unique() {
        std::lock_guard<std::mutex> lock(mutex_);
        return tally_.new_readings();
    }
    std::uint64_t duplicates() {
        std::lock_guard<std::mutex> lock(mutex_);
        return tally_.duplicates();
    }
    std::uint64_t conflicts() {
        std::lock_guard<std::mutex> lock(mutex_);
        return conflicts_;
    }
    // The device's seqs, or an empty set. With --outbox all of them belong to one run (the
    // run id persists with the outbox): a second run would mean the numbering started over,
    // so then the set is empty and the test sees every seq missing.
    mqtls::cli::SeqSet seen() {
        std::lock_guard<std::mutex> lock(mutex_);
        const auto found = tally_.devices().find(device);
        if (found == tally_.devices().end() || found->second.runs.size() != 1 ||
            found->second.without_run.received != 0) {
            return mqtls::cli::SeqSet{};
        }
        return found->second.runs.begin()->second.seen;
    }

private:
    void run() {
        mqtls::client::ClientOptions options;
        options.host = MosquittoBroker::host();
        options.port = broker_.tls_port();
        options.trusted_roots_pem = broker_.ca_pem();
        options.client_id = "fault-collector";
        options.username = "collector";
        options.password = collector_password;
        options.clean_session = false;  // what is published while we are away waits for us
        options.connect_timeout = 2000ms;
        mqtls::client::Client client;
        // Bounded by stop_ (the test's lifetime); each turn by the timeouts above.
        while (!stop_) {
            if (!client.connected()) {
                if (!client.connect(options) ||
                    !client.subscribe({{"telemetry/#", mqtls::mqtt::QoS::at_least_once}})) {
                    client.drop_connection();
                    std::this_thread::sleep_for(100ms);
                    continue;
                }
            }
            auto message = client.receive(200ms);
            if (!message) {
                client.drop_connection();
                continue;
            }
            if (*message) {
                std::lock_guard<std::mutex> lock(mutex_);
                const std::string& payload = (*message)->payload;
                if (tally_.add_payload(payload) == mqtls::cli::ReadingOutcome::new_reading) {
                    first_payload_[seq_of(payload)] = payload;
                } else if (first_payload_[seq_of(payload)] != payload) {
                    // A duplicate must be the same reading; a different one under a seq means
                    // the seq was reused (e.g. after a restart without the persisted counter).
                    ++conflicts_;
                }
            }
        }
        (void)client.disconnect();
    }

    const MosquittoBroker& broker_;
    std::thread thread_;
    std::atomic<bool> stop_{false};
    std::mutex mutex_;
    mqtls::cli::ReadingTally tally_;
    std::map<std::uint64_t, std::string> first_payload_;
    std::uint64_t conflicts_ = 0;
};

// The "seq" of a reading (the tally has already checked it is one).
std::uint64_t seq_of(const std::string& payload) {
    const std::size_t at = payload.find("\"seq\":");
    return at == std::string::npos ? 0 : std::stoull(payload.substr(at + 6));
}

// Mosquitto with persistence (the collector's session and what is queued for it survive a
// restart), the node allowed to write its topics and the collector to read everything.
std::unique_ptr<MosquittoBroker> start_fault_broker() {
    mqtls::testing::BrokerOptions options;
    options.persistence = true;
    options.users = {{device, device_password}, {"collector", collector_password}};
    options.acl = std::string("user ") + device + "\ntopic write telemetry/" + device +
                  "\ntopic write status/" + device + "\nuser collector\ntopic read #\n";
    return mqtls::cli_test::start_broker(options);
}

struct FaultFigures {
    const char* kind = "";
    int times = 0;
    std::uint64_t duplicates = 0;
};

// One fault of the run, by its kind (FaultFigures::kind), out of the test body so that the
// body reads as the schedule. Failures here are fatal (readings that stop arriving under the
// delay too): the caller checks HasFatalFailure and ends the run.
void inject_fault(const std::string& kind, FaultProxy& proxy, NodeProcess& node,
                  MosquittoBroker& broker, const std::function<bool(const char*)>& deliver_more) {
    if (kind == "link cut (RST)") {
        proxy.cut_all();
    } else if (kind == "link cut mid-record") {
        // The next PUBLISH (a TLS record of ~150 bytes) is cut after 37 bytes.
        proxy.cut_after_bytes(mqtls::testing::Direction::to_upstream, 37);
    } else if (kind == "node SIGKILL + restart") {
        node.kill_now();
        std::this_thread::sleep_for(300ms);
        ASSERT_TRUE(node.start());
    } else if (kind == "broker stop + restart") {
        ASSERT_TRUE(broker.stop());
        std::this_thread::sleep_for(500ms);  // the node keeps taking readings
        ASSERT_TRUE(broker.restart());
    } else if (kind == "connections refused 0.5 s") {
        ASSERT_TRUE(proxy.set_refuse(true));
        std::this_thread::sleep_for(500ms);
        ASSERT_TRUE(proxy.set_refuse(false));
    } else if (kind == "200 ms one-way delay") {
        // Readings pile up behind the slow link and drain in order.
        proxy.set_delay(200ms);
        ASSERT_TRUE(deliver_more("the delay started"));
        proxy.set_delay(0ms);
    } else {
        // The PUBLISH in flight vanishes: the node times out waiting for PUBACK
        // (10 s) and reconnects once the black hole is gone.
        proxy.set_black_hole(true);
        std::this_thread::sleep_for(1s);
        proxy.set_black_hole(false);
    }
}

// Each fault test runs under MQTT 3.1.1 and MQTT 5 (-V): the node's recovery must not depend
// on the version.
class CliFault : public ::testing::TestWithParam<const char*> {};

std::string mqtt_version_name(const ::testing::TestParamInfo<const char*>& info) {
    return std::string("mqtt") + info.param;
}

TEST_P(CliFault, NoReadingIsLostThroughCutsKillsAndBrokerRestarts) {
    auto started = start_fault_broker();
    ASSERT_TRUE(started);
    MosquittoBroker& broker = *started;
    auto proxy = FaultProxy::start(broker.tls_port());
    ASSERT_TRUE(proxy) << proxy.error().message();

    const std::string outbox = broker.dir() + "/outbox";
    NodeProcess node({MQTLS_CLI_PATH,
                      "node",
                      "-h",
                      "127.0.0.1",
                      "-p",
                      std::to_string((*proxy)->port()),
                      "--cafile",
                      broker.ca_file(),
                      "-u",
                      device,
                      "-P",
                      device_password,
                      "--device",
                      device,
                      "--interval",
                      "0.05",
                      "--retry-base",
                      "0.05",
                      "--retry-cap",
                      "0.2",
                      "--connect-timeout",
                      "2",
                      "--outbox",
                      outbox,
                      "-V",
                      GetParam()},
                     broker.dir() + "/node.log");
    Collector collector(broker);
    ASSERT_TRUE(node.start());

    std::uint64_t target = readings_between;
    const auto deliver_more = [&](const char* after) {
        const bool arrived = eventually([&] { return collector.unique() >= target; }, 30s);
        EXPECT_TRUE(arrived) << "readings stopped arriving after " << after << ": "
                             << collector.unique() << " of " << target << "\n"
                             << node.log();
        target = collector.unique() + readings_between;
        return arrived;
    };
    ASSERT_TRUE(deliver_more("start"));

    FaultFigures figures[] = {
        {"link cut (RST)"},        {"link cut mid-record"},       {"node SIGKILL + restart"},
        {"broker stop + restart"}, {"connections refused 0.5 s"}, {"200 ms one-way delay"},
        {"black hole 1 s"}};
    for (int round = 0; round < rounds; ++round) {
        for (FaultFigures& fault : figures) {
            const std::uint64_t duplicates_before = collector.duplicates();
            inject_fault(fault.kind, **proxy, node, broker, deliver_more);
            if (::testing::Test::HasFatalFailure()) return;
            ++fault.times;
            if (!deliver_more(fault.kind)) return;
            fault.duplicates += collector.duplicates() - duplicates_before;
        }
    }

    // A clean stop delivers what is pending; then every seq 1..N must be there.
    EXPECT_EQ(node.stop(20s), 0) << node.log();
    const std::string log = node.log();
    mqtls::cli::SeqSet seen = collector.seen();
    const std::uint64_t highest = seen.max();
    const bool complete =
        eventually([&] { return collector.seen().covers_from_one(highest); }, 20s);
    seen = collector.seen();
    EXPECT_TRUE(complete) << seen.missing_count() << " reading(s) missing\n" << log;
    EXPECT_EQ(seen.missing_count(), 0U);
    EXPECT_EQ(collector.conflicts(), 0U) << "a seq was used for two different readings";
    EXPECT_GE(highest, static_cast<std::uint64_t>(rounds) * 5 * readings_between);
    // Nothing dropped by policy either: the outbox never filled.
    EXPECT_EQ(log.find("outbox full"), std::string::npos);
    // Reconnects after a cut link resume the TLS session of the run (no public-key work).
    EXPECT_NE(log.find("TLS session resumed"), std::string::npos) << log;

    std::printf(
        "fault run: N = %llu readings, k = %d rounds of each fault, lost %llu, "
        "duplicates %llu\n",
        static_cast<unsigned long long>(highest), rounds,
        static_cast<unsigned long long>(seen.missing_count()),
        static_cast<unsigned long long>(collector.duplicates()));
    for (const FaultFigures& fault : figures) {
        std::printf("  %-26s x%d: duplicates %llu\n", fault.kind, fault.times,
                    static_cast<unsigned long long>(fault.duplicates));
    }
}

}  // namespace

namespace {

// The restart path of a persistent session: the node is killed while a PUBLISH is in flight
// (the proxy swallows it), and the restarted node sends that reading again under the same
// packet identifier with DUP set, as MQTT requires for a persistent session.
TEST_P(CliFault, ReadingInFlightAtAKillGoesOutAgainUnderItsPacketId) {
    auto started = start_fault_broker();
    ASSERT_TRUE(started);
    MosquittoBroker& broker = *started;
    auto proxy = FaultProxy::start(broker.tls_port());
    ASSERT_TRUE(proxy) << proxy.error().message();
    NodeProcess node({MQTLS_CLI_PATH, "node",
                      "-h",           "127.0.0.1",
                      "-p",           std::to_string((*proxy)->port()),
                      "--cafile",     broker.ca_file(),
                      "-u",           device,
                      "-P",           device_password,
                      "--device",     device,
                      "--interval",   "0.1",
                      "--outbox",     broker.dir() + "/outbox",
                      "-V",           GetParam()},
                     broker.dir() + "/node.log");
    Collector collector(broker);
    ASSERT_TRUE(node.start());
    ASSERT_TRUE(eventually([&] { return collector.unique() >= 3; }, 20s)) << node.log();

    (*proxy)->set_black_hole(true);  // the next PUBLISH vanishes; its PUBACK never comes
    std::this_thread::sleep_for(1s);
    node.kill_now();
    (*proxy)->set_black_hole(false);
    ASSERT_TRUE(node.start());
    const bool restored = eventually(
        [&] { return node.log().find("goes out again with DUP") != std::string::npos; }, 10s);
    ASSERT_TRUE(restored) << node.log();
    const std::string log = node.log();
    const std::size_t at = log.find("under packet id ");
    ASSERT_NE(at, std::string::npos) << log;
    const std::string id = log.substr(at + 16, log.find(' ', at + 16) - (at + 16));
    // The broker saw it again under that identifier, flagged as a duplicate.
    const std::string resent =
        std::string("Received PUBLISH from ") + device + " (d1, q1, r0, m" + id + ",";
    EXPECT_TRUE(eventually([&] { return broker.log().find(resent) != std::string::npos; }, 10s))
        << resent << "\n"
        << broker.log();
    // And nothing was lost: all readings so far arrive.
    EXPECT_EQ(node.stop(20s), 0) << node.log();
    const std::uint64_t highest = collector.seen().max();
    EXPECT_TRUE(eventually([&] { return collector.seen().covers_from_one(highest); }, 10s));
    EXPECT_EQ(collector.conflicts(), 0U);
}

#if MQTLS_MQTT5
INSTANTIATE_TEST_SUITE_P(Mqtt, CliFault, ::testing::Values("311", "5"), mqtt_version_name);
#else
INSTANTIATE_TEST_SUITE_P(Mqtt, CliFault, ::testing::Values("311"), mqtt_version_name);
#endif

}  // namespace
