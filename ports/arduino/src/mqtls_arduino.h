#pragma once
/// @file
/// mqtls for Arduino-ESP32 (core 3.x, ESP-IDF 5 and its mbedTLS 3.6 underneath): what a sketch
/// includes. The board is ESP-IDF's Platform (ports/espidf: esp_timer, the SNTP-set clock, the
/// hardware RNG, RTC memory for the session and outbox, the key in NVS) with the sketch's own
/// Client (a plain WiFiClient: mqtls's engine does the TLS and the verification) as its stream;
/// the device is node::DeviceStack. Nothing here decides anything the tested layers do not.

#include <Arduino.h>

#include "mqtls/node/device_stack.hpp"
#include "mqtls/node/node_runner.hpp"
#include "mqtls/node/sensor.hpp"
#include "mqtls/node/wake_cycle.hpp"
#include "mqtls/port/arduino/client_stream.hpp"
#include "mqtls/port/espidf/platform.hpp"

namespace mqtls::port::arduino {

/// Arduino's delay(): lets the Wi-Fi task run while the stream waits.
inline void pause(std::uint32_t ms) { delay(ms); }

/// An Arduino-ESP32 board with `client` as the connection's transport.
template <class ArduinoClient>
class Board {
public:
    explicit Board(ArduinoClient& client) noexcept
        : stream_(client, espidf::monotonic_clock(), &pause) {}
    Board(const Board&) = delete;
    Board& operator=(const Board&) = delete;

    /// The stores over RTC memory, the key source, the clocks (the Arduino core has already
    /// initialised NVS).
    Result<void> boot() noexcept { return espidf::Platform::boot(platform_, &stream_); }
    [[nodiscard]] const node::Platform& platform() const noexcept { return platform_.node(); }
    /// Whether SNTP (configTime()) has set the clock; until then connections fail with
    /// clock_unset, never without checking the certificate's dates.
    [[nodiscard]] static bool clock_set() noexcept { return espidf::wall_clock_set(); }

private:
    ClientStream<ArduinoClient> stream_;
    espidf::Platform platform_;
};

/// Prints `what` failed, with the error's name, detail and what to do, to `out` (Serial).
template <class Printer>
void print_error(Printer& out, const char* what, const Error& error) {
    out.printf("mqtls: %s: %s [%s, detail %ld]\n  hint: %s\n", what, error.message(),
               name(error.code), static_cast<long>(error.detail), error.hint());
}

}  // namespace mqtls::port::arduino
