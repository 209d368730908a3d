#include "mqtls/node/sensor.hpp"

namespace mqtls::node {
namespace {

constexpr std::int32_t clamp(std::int32_t value, std::int32_t low, std::int32_t high) noexcept {
    return value < low ? low : (value > high ? high : value);
}

// A step in [-max_step, +max_step] from a random value.
constexpr std::int32_t step(std::uint32_t random, std::int32_t max_step) noexcept {
    const auto span_size = static_cast<std::uint32_t>(2 * max_step + 1);
    return static_cast<std::int32_t>(random % span_size) - max_step;
}

constexpr std::size_t simulated_value_count = 3;

}  // namespace

SimulatedSensor::SimulatedSensor(std::uint32_t seed) noexcept
    // xorshift32 must not start at 0, where it would stay forever.
    : state_(seed == 0 ? 0x9E3779B9U : seed) {}

std::uint32_t SimulatedSensor::next_random() noexcept {
    state_ ^= state_ << 13U;
    state_ ^= state_ >> 17U;
    state_ ^= state_ << 5U;
    return state_;
}

Result<std::size_t> SimulatedSensor::read(span<SensorValue> out, Instant /*now*/) noexcept {
    if (out.size() < simulated_value_count) return Errc::too_many_sensor_values;
    centi_celsius_ = clamp(centi_celsius_ + step(next_random(), 15), 1500, 3000);
    deci_percent_ = clamp(deci_percent_ + step(next_random(), 8), 300, 700);
    // About one millivolt every few readings, down to a cell's cut-off.
    if (next_random() % 4U == 0) battery_millivolts_ = clamp(battery_millivolts_ - 1, 3300, 4200);
    out[0] = SensorValue{"temperature_c", centi_celsius_, 2};
    out[1] = SensorValue{"humidity_pct", deci_percent_, 1};
    out[2] = SensorValue{"battery_mv", battery_millivolts_, 0};
    return simulated_value_count;
}

}  // namespace mqtls::node
