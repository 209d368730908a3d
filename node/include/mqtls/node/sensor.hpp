#pragma once
/// @file
/// Where readings come from. A device implements SensorSource over its drivers (an I2C
/// thermometer, an ADC); the simulated sensor stands in for them on Linux and in tests. Values
/// are fixed-point integers (21.53 °C is {2153, 2 decimals}), as sensor drivers report them, so
/// no floating-point code is needed on the device.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mqtls/core/result.hpp"
#include "mqtls/core/span.hpp"
#include "mqtls/core/time.hpp"

namespace mqtls::node {

struct SensorValue {
    std::string_view name;  ///< the JSON key; must stay valid until the reading is composed
    std::int32_t scaled = 0;
    std::uint8_t decimals = 0;  ///< value = scaled / 10^decimals; at most 9
};

/// Most values one reading carries.
inline constexpr std::size_t max_sensor_values = 8;

class SensorSource {
public:
    SensorSource(const SensorSource&) = delete;
    SensorSource& operator=(const SensorSource&) = delete;

    /// Writes the current values into `out` (room for max_sensor_values) and returns how many.
    /// On failure: sensor_read_failed with the driver's code in detail.
    virtual Result<std::size_t> read(span<SensorValue> out, Instant now) noexcept = 0;

protected:
    SensorSource() = default;
    SensorSource(SensorSource&&) = default;
    SensorSource& operator=(SensorSource&&) = default;
    // Not virtual and not public: nobody deletes a sensor through this interface, and a virtual
    // destructor would drag operator delete into heap-free firmware.
    ~SensorSource() = default;
};

/// A plausible indoor climate sensor for demos and tests: temperature_c (2 decimals) and
/// humidity_pct (1 decimal) take small random walks inside realistic ranges, and battery_mv
/// slowly drains. Deterministic for a given seed, so tests can predict it.
class SimulatedSensor final : public SensorSource {
public:
    explicit SimulatedSensor(std::uint32_t seed) noexcept;

    Result<std::size_t> read(span<SensorValue> out, Instant now) noexcept override;

private:
    std::uint32_t next_random() noexcept;

    std::uint32_t state_;
    std::int32_t centi_celsius_ = 2150;
    std::int32_t deci_percent_ = 450;
    std::int32_t battery_millivolts_ = 4150;
};

}  // namespace mqtls::node
