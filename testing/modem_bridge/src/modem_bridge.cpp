// The modem bridge (modem_bridge.hpp): the public object (captures, log, counters under one
// mutex) and its start/stop. The bridge thread's loop is in bridge_loop.cpp.
#include "mqtls/testing/modem_bridge.hpp"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <system_error>
#include <utility>

#include "bridge_loop.hpp"
#include "socket_util.hpp"

namespace mqtls::testing {
namespace {

bool write_file(const std::string& path, const std::vector<std::uint8_t>& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
    return static_cast<bool>(out);
}

}  // namespace

const char* to_string(ConnectionEnd end) noexcept {
    switch (end) {
        case ConnectionEnd::open:
            return "open";
        case ConnectionEnd::hung_up:
            return "hung_up";
        case ConnectionEnd::broker_closed:
            return "broker_closed";
        case ConnectionEnd::broker_reset:
            return "broker_reset";
        case ConnectionEnd::device_gone:
            return "device_gone";
        case ConnectionEnd::bridge_stopped:
            return "bridge_stopped";
    }
    return "unknown";
}

ModemBridge::ModemBridge(BridgeOptions options, int listener, std::uint16_t port)
    : options_(std::move(options)), port_(port), initial_listener_(listener) {}

Result<std::unique_ptr<ModemBridge>> ModemBridge::start(const BridgeOptions& options) {
    auto listener = bridge_detail::make_listener(options.listen_port);
    if (!listener) return listener.error();
    auto port = bridge_detail::local_port(*listener);
    if (!port) {
        ::close(*listener);
        return port.error();
    }
    std::unique_ptr<ModemBridge> bridge(new ModemBridge(options, *listener, *port));
    ModemBridge& owner = *bridge;
    try {
        bridge->thread_ = std::thread([&owner] {
            Loop loop(owner, owner.initial_listener_);
            loop.run();
        });
    } catch (const std::system_error& error) {
        ::close(*listener);
        return Error{Errc::socket_error, error.code().value()};
    }
    bridge->note("listening on 127.0.0.1:" + std::to_string(*port));
    return bridge;
}

ModemBridge::~ModemBridge() { stop(); }

void ModemBridge::stop() noexcept {
    const std::lock_guard<std::mutex> lock(stop_mutex_);
    stopping_.store(true);
    if (thread_.joinable()) thread_.join();
}

std::vector<CapturedConnection> ModemBridge::connections() const {
    const std::lock_guard<std::mutex> lock(mutex_);
    return captures_;
}

BridgeCounters ModemBridge::counters() const {
    const std::lock_guard<std::mutex> lock(mutex_);
    return counters_;
}

std::string ModemBridge::log() const {
    const std::lock_guard<std::mutex> lock(mutex_);
    std::string text;
    for (const auto& line : log_lines_) {
        text += line;
        text += '\n';
    }
    return text;
}

void ModemBridge::note(const std::string& line) {
    const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started_);
    char stamp[32];
    (void)std::snprintf(stamp, sizeof stamp, "[%7.3f] ",
                        static_cast<double>(elapsed.count()) / 1000.0);
    std::string stamped = stamp + line;
    {
        const std::lock_guard<std::mutex> lock(mutex_);
        log_lines_.push_back(stamped);
    }
    if (options_.log_sink) options_.log_sink(stamped);
}

std::size_t ModemBridge::open_capture(const std::string& host, const std::string& address,
                                      std::uint16_t port) {
    const std::lock_guard<std::mutex> lock(mutex_);
    CapturedConnection connection;
    connection.number = captures_.size() + 1;
    connection.host = host;
    connection.address = address;
    connection.port = port;
    captures_.push_back(std::move(connection));
    return captures_.size();
}

void ModemBridge::capture_to_broker(std::size_t number, const std::uint8_t* data,
                                    std::size_t size) {
    const std::lock_guard<std::mutex> lock(mutex_);
    auto& bytes = captures_.at(number - 1).to_broker;
    bytes.insert(bytes.end(), data, data + size);
}

void ModemBridge::capture_from_broker(std::size_t number, const std::uint8_t* data,
                                      std::size_t size) {
    const std::lock_guard<std::mutex> lock(mutex_);
    auto& bytes = captures_.at(number - 1).from_broker;
    bytes.insert(bytes.end(), data, data + size);
}

void ModemBridge::end_capture(std::size_t number, ConnectionEnd end) {
    CapturedConnection copy;
    {
        const std::lock_guard<std::mutex> lock(mutex_);
        captures_.at(number - 1).end = end;
        if (options_.capture_dir.empty()) return;
        copy = captures_.at(number - 1);
    }
    const std::string stem = options_.capture_dir + "/conn-" + std::to_string(number);
    if (!write_file(stem + ".to-broker", copy.to_broker) ||
        !write_file(stem + ".from-broker", copy.from_broker)) {
        note("capture: could not write " + stem + ".*");
    }
}

}  // namespace mqtls::testing
