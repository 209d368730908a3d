#pragma once
// The set-up every firmware test shares: a real Mosquitto on loopback (TLS only), a ModemBridge
// that the board's UART reaches, a retained-memory file (the device's deep-sleep memory: one
// per device, kept between wakes), the provisioning files, and a collector whose persistent
// QoS 1 session on the broker keeps every reading the device delivered until the test reads
// them (so no thread runs beside QEMU).

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "firmware_run.hpp"
#include "mqtls/core/span.hpp"
#include "mqtls/testing/modem_bridge.hpp"
#include "mqtls/testing/mosquitto_broker.hpp"
#include "mqtls/testing/process.hpp"

namespace mqtls::firmware_test {

/// A reading the collector received: its topic and the JSON payload.
struct Delivered {
    std::string topic;
    nlohmann::json payload;
};

class FirmwareTest : public ::testing::Test {
protected:
    static constexpr const char* device_id = "dev-1";
    static constexpr const char* device_password = "device-secret-1";
    static constexpr const char* collector_user = "collector";
    static constexpr const char* collector_password = "collector-secret";

    /// The broker's options; the default: password logins for the device and the collector,
    /// and an ACL that lets a device write only telemetry/<its id> and status/<its id>, and the
    /// collector read them all.
    virtual testing::BrokerOptions broker_options();

    /// Whether SetUp() subscribes the collector (collect() needs it).
    virtual bool with_collector() const { return true; }

    void SetUp() override;
    void TearDown() override;

    /// One wake of the device `id` (its own retained memory, created blank on first use):
    /// host=localhost, port, id, user/pass (unless `with_password` is false), ca, session-key;
    /// a key=value word of `extra` replaces that key's default, or is added.
    FirmwareRun wake(const std::vector<std::string>& extra = {}, const std::string& id = device_id,
                     bool with_password = true);

    /// One run of the continuous node image (the device device_id, with its password).
    FirmwareRun run_node(const std::vector<std::string>& extra);

    /// The retained status message of `id` (status/<id>) as JSON text; empty when none came.
    std::string retained_status(const std::string& id);

    /// Writes `text` to a file in the test's directory and returns its path.
    std::string write_file(const std::string& name, const std::string& text);

    /// Every reading the collector's session holds, waiting until `expected` arrived (at most
    /// 15 s); fewer when they never came (the test's assertions then say which are missing).
    /// mosquitto_sub acknowledges what it reads past -C without printing it, so use this only
    /// where no redelivery is expected; collect_all() otherwise.
    std::vector<Delivered> collect(std::size_t expected);
    /// Every reading the collector's session holds (a 4 s window: the backlog comes at once).
    std::vector<Delivered> collect_all();

    /// The broker connections the bridge made so far.
    [[nodiscard]] std::vector<testing::CapturedConnection> connections() const;

    /// Everything worth printing when an assertion fails: the run, the bridge log and the
    /// broker log.
    std::string context(const FirmwareRun& run) const;

    Target target_;
    std::unique_ptr<testing::TempDir> dir_;
    std::unique_ptr<testing::MosquittoBroker> broker_;
    std::unique_ptr<testing::ModemBridge> bridge_;
    std::string ca_file_;
    std::string session_key_file_;
    std::map<std::string, std::string> retained_files_;
    std::optional<testing::ClientCertificateFiles> collector_files_;

private:
    void subscribe_collector(bool with_certificate);
    FirmwareRun boot(const std::string& elf, const std::vector<std::string>& extra,
                     const std::string& id, bool with_password);
    std::vector<Delivered> receive(const std::vector<std::string>& command);
    std::vector<std::string> collector_command(const std::vector<std::string>& options) const;
};

/// A captured direction as the TLS record helpers take it.
inline bytes_view view(const std::vector<std::uint8_t>& bytes) noexcept {
    return {bytes.data(), bytes.size()};
}

/// The readings of `delivered` published to telemetry/<id>, by seq.
std::map<std::uint64_t, nlohmann::json> readings_of(const std::vector<Delivered>& delivered,
                                                    const std::string& id);

}  // namespace mqtls::firmware_test
