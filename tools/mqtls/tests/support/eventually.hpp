#pragma once
/// @file
/// The one bounded wait of the CLI tests: poll a condition until it holds or a time limit passes.
#include <chrono>
#include <thread>

namespace mqtls::cli_test {

/// How often eventually() looks again, unless told otherwise.
inline constexpr std::chrono::milliseconds default_poll_interval{20};

/// Calls `condition` every `poll_interval` until it returns true or `limit` has passed, and once
/// more at the end (so a condition that became true during the last sleep counts). True when it
/// held. Never waits longer than `limit` plus one poll interval and one call.
template <typename Condition>
bool eventually(Condition condition, std::chrono::milliseconds limit,
                std::chrono::milliseconds poll_interval = default_poll_interval) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    do {
        if (condition()) return true;
        std::this_thread::sleep_for(poll_interval);
    } while (std::chrono::steady_clock::now() < deadline);
    return condition();
}

}  // namespace mqtls::cli_test
