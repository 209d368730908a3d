#pragma once
/// @file
/// Whole-buffer send and receive over a non-blocking stream (TcpStream, espidf::SocketStream), for
/// tests that want "this many bytes, or fail" rather than the stream's partial transfers. Bounded
/// by a timeout and by a number of rounds, so a broken stream fails the test instead of hanging it.

#include "mqtls/core/result.hpp"
#include "mqtls/core/span.hpp"
#include "mqtls/core/time.hpp"
#include "mqtls/port/posix/tcp_stream.hpp"

namespace mqtls::port::posix::testing {

/// Sends all of `data`; io_timed_out if `timeout` passes first, or the stream's error.
Result<void> send_all(link::ByteStream& stream, bytes_view data, Duration timeout) noexcept;

/// Fills all of `buffer`; io_timed_out if `timeout` passes first, or the stream's error
/// (connection_reset with detail 0 if the peer closed early).
Result<void> receive_exactly(link::ByteStream& stream, mutable_bytes buffer,
                             Duration timeout) noexcept;

}  // namespace mqtls::port::posix::testing
