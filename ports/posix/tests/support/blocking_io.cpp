#include "blocking_io.hpp"

#include "mqtls/port/posix/clock.hpp"

namespace mqtls::port::posix::testing {
namespace {

// Far more rounds than any test transfer needs; only a stream that keeps reporting readiness
// without moving bytes could reach it.
constexpr int kMaxRounds = 1'000'000;

}  // namespace

Result<void> send_all(link::ByteStream& stream, bytes_view data, Duration timeout) noexcept {
    const Instant deadline = monotonic_now() + timeout;
    for (int round = 0; round < kMaxRounds && !data.empty(); ++round) {
        MQTLS_TRY_ASSIGN(const std::size_t sent, stream.send_some(data));
        data = data.subspan(sent);
        if (data.empty()) break;
        if (sent == 0) MQTLS_TRY(stream.wait(false, true, deadline - monotonic_now()));
    }
    if (!data.empty()) return Errc::io_timed_out;
    return ok();
}

Result<void> receive_exactly(link::ByteStream& stream, mutable_bytes buffer,
                             Duration timeout) noexcept {
    const Instant deadline = monotonic_now() + timeout;
    for (int round = 0; round < kMaxRounds && !buffer.empty(); ++round) {
        MQTLS_TRY_ASSIGN(const std::size_t received, stream.receive_some(buffer));
        buffer = buffer.subspan(received);
        if (buffer.empty()) break;
        if (received == 0) MQTLS_TRY(stream.wait(true, false, deadline - monotonic_now()));
    }
    if (!buffer.empty()) return Errc::io_timed_out;
    return ok();
}

}  // namespace mqtls::port::posix::testing
