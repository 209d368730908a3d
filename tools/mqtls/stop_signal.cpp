#include "stop_signal.hpp"

#include <csignal>

namespace mqtls::cli {
namespace {

volatile std::sig_atomic_t received_stop_signal = 0;

extern "C" void record_stop_signal(int signal_number) { received_stop_signal = signal_number; }

}  // namespace

void install_stop_signal_handlers() noexcept {
    struct sigaction action {};
    action.sa_handler = record_stop_signal;
    sigemptyset(&action.sa_mask);
    // No SA_RESTART: a blocking poll() returns EINTR, so the stop is noticed at once.
    ::sigaction(SIGINT, &action, nullptr);
    ::sigaction(SIGTERM, &action, nullptr);
}

int stop_requested() noexcept { return received_stop_signal; }

}  // namespace mqtls::cli
