#include "firmware_fixture.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "mqtls/core/error.hpp"

namespace mqtls::firmware_test {

testing::BrokerOptions FirmwareTest::broker_options() {
    testing::BrokerOptions options;
    options.users = {{device_id, device_password}, {collector_user, collector_password}};
    // Every client may write only telemetry/<its client id> (%c), the collector read them all.
    options.acl = std::string("pattern write telemetry/%c\npattern write status/%c\n\nuser ") +
                  collector_user + "\ntopic read telemetry/#\ntopic read status/#\n";
    return options;
}

void FirmwareTest::SetUp() {
    std::string why;
    ASSERT_TRUE(target_under_test(target_, why)) << why;
    auto dir = testing::TempDir::create("mqtls-firmware-");
    ASSERT_TRUE(dir) << name(dir.error().code);
    dir_ = std::make_unique<testing::TempDir>(std::move(*dir));

    std::string diagnostics;
    const testing::BrokerOptions options = broker_options();
    auto broker = testing::MosquittoBroker::start(options, &diagnostics);
    ASSERT_TRUE(broker) << name(broker.error().code) << "\n" << diagnostics;
    broker_ = std::move(*broker);

    testing::BridgeOptions bridge_options;
    // The device dials the name its broker certificate is for; the bridge resolves it without
    // DNS. "wrong-name.test" is the same broker under a name its certificate does not carry.
    bridge_options.host_aliases = {{"localhost", "127.0.0.1"}, {"wrong-name.test", "127.0.0.1"}};
    auto bridge = testing::ModemBridge::start(bridge_options);
    ASSERT_TRUE(bridge) << name(bridge.error().code);
    bridge_ = std::move(*bridge);

    ca_file_ = broker_->ca_file();
    // The device's sealing key for the TLS session in retained memory (on a product: from the
    // chip's eFuse key block or secure element; here fixed per test).
    session_key_file_ = write_file("session.key", std::string(32, '\x5a'));
    if (with_collector()) subscribe_collector(options.require_certificate);
}

void FirmwareTest::TearDown() {
    if (bridge_) bridge_->stop();
}

std::string FirmwareTest::write_file(const std::string& name, const std::string& text) {
    const std::string path = dir_->file(name);
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    return out ? path : std::string();
}

FirmwareRun FirmwareTest::wake(const std::vector<std::string>& extra, const std::string& id,
                               bool with_password) {
    return boot(target_.wake_elf, extra, id, with_password);
}

FirmwareRun FirmwareTest::run_node(const std::vector<std::string>& extra) {
    return boot(target_.node_elf, extra, device_id, /*with_password=*/true);
}

FirmwareRun FirmwareTest::boot(const std::string& elf, const std::vector<std::string>& extra,
                               const std::string& id, bool with_password) {
    std::string& retained = retained_files_[id];
    if (retained.empty()) retained = create_retained_memory(target_, dir_->path(), id);
    std::vector<std::string> arguments = {"host=localhost",
                                          "port=" + std::to_string(broker_->tls_port()), "id=" + id,
                                          "ca=" + ca_file_, "session-key=" + session_key_file_};
    if (with_password) {
        arguments.emplace_back(std::string("user=") + device_id);
        arguments.emplace_back(std::string("pass=") + device_password);
    }
    // The firmware refuses a key given twice: an extra word replaces the default of its key.
    for (const std::string& word : extra) {
        const std::string key = word.substr(0, word.find('=') + 1);
        auto same = std::find_if(arguments.begin(), arguments.end(), [&](const std::string& a) {
            return a.compare(0, key.size(), key) == 0;
        });
        if (same != arguments.end()) {
            *same = word;
        } else {
            arguments.push_back(word);
        }
    }
    return run_firmware(target_, elf, bridge_->port(), retained, arguments);
}

std::vector<std::string> FirmwareTest::collector_command(
    const std::vector<std::string>& options) const {
    std::vector<std::string> command = {"mosquitto_sub",
                                        "-h",
                                        "localhost",
                                        "-p",
                                        std::to_string(broker_->tls_port()),
                                        "--cafile",
                                        ca_file_,
                                        "-i",
                                        "collector",
                                        "-c",
                                        "-q",
                                        "1",
                                        "-t",
                                        "telemetry/#",
                                        "-v"};
    if (collector_files_) {
        // Mutual TLS: the collector logs in with its certificate (CN collector), as devices do.
        command.insert(command.end(), {"--cert", collector_files_->certificate_path, "--key",
                                       collector_files_->key_path});
    } else {
        command.insert(command.end(), {"-u", collector_user, "-P", collector_password});
    }
    command.insert(command.end(), options.begin(), options.end());
    return command;
}

// A persistent session (clean session 0) subscribed at QoS 1: the broker queues every reading
// from here on until collect() reconnects.
void FirmwareTest::subscribe_collector(bool with_certificate) {
    if (with_certificate) {
        auto files = broker_->write_client_certificate(collector_user);
        ASSERT_TRUE(files) << name(files.error().code);
        collector_files_ = std::move(*files);
    }
    auto subscribed = testing::run_process(collector_command({"-E"}), std::chrono::seconds(10));
    ASSERT_TRUE(subscribed) << name(subscribed.error().code);
    ASSERT_TRUE(subscribed->succeeded()) << subscribed->output << broker_->log();
}

std::vector<Delivered> FirmwareTest::collect(std::size_t expected) {
    return receive(collector_command({"-W", "15", "-C", std::to_string(expected)}));
}

std::vector<Delivered> FirmwareTest::collect_all() {
    return receive(collector_command({"-W", "4"}));
}

std::string FirmwareTest::retained_status(const std::string& id) {
    std::vector<std::string> command = collector_command({});
    // Another client id and a clean session: only the retained message of this one topic.
    const auto topic = std::find(command.begin(), command.end(), "telemetry/#");
    *topic = "status/" + id;
    const auto client_id = std::find(command.begin(), command.end(), "collector");
    *client_id = "status-reader";
    command.erase(std::find(command.begin(), command.end(), "-c"));
    command.insert(command.end(), {"-C", "1", "-W", "5"});
    const std::vector<Delivered> got = receive(command);
    if (got.empty()) return {};
    return got.front().payload.is_discarded() ? std::string() : got.front().payload.dump();
}

std::vector<Delivered> FirmwareTest::receive(const std::vector<std::string>& command) {
    auto received = testing::run_process(command, std::chrono::seconds(20));
    std::vector<Delivered> delivered;
    if (!received) return delivered;
    std::istringstream lines(received->output);
    std::string line;
    while (std::getline(lines, line)) {
        const std::size_t space = line.find(' ');
        if (space == std::string::npos) continue;
        Delivered one;
        one.topic = line.substr(0, space);
        one.payload = nlohmann::json::parse(line.substr(space + 1), nullptr, false);
        delivered.push_back(std::move(one));
    }
    return delivered;
}

std::vector<testing::CapturedConnection> FirmwareTest::connections() const {
    return bridge_->connections();
}

std::string FirmwareTest::context(const FirmwareRun& run) const {
    return describe(run) + "\n--- bridge:\n" + bridge_->log() + "\n--- broker:\n" + broker_->log();
}

std::map<std::uint64_t, nlohmann::json> readings_of(const std::vector<Delivered>& delivered,
                                                    const std::string& id) {
    std::map<std::uint64_t, nlohmann::json> by_seq;
    for (const Delivered& one : delivered) {
        if (one.topic != "telemetry/" + id || !one.payload.is_object()) continue;
        const auto seq = one.payload.find("seq");
        if (seq == one.payload.end() || !seq->is_number_unsigned()) continue;
        by_seq[seq->get<std::uint64_t>()] = one.payload;
    }
    return by_seq;
}

}  // namespace mqtls::firmware_test
