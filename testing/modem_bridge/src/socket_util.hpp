#pragma once
// Small POSIX socket helpers of the modem bridge (internal): a byte queue, non-blocking I/O
// results, name resolution restricted to loopback, and the errno -> DialFailure mapping.

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "mqtls/core/result.hpp"
#include "mqtls/port/uart_modem/frame.hpp"

namespace mqtls::testing::bridge_detail {

/// Bytes waiting to be written, consumed from the front without moving them every time.
class ByteQueue {
public:
    void append(const std::uint8_t* data, std::size_t size);
    void consume(std::size_t size) noexcept;
    void clear() noexcept;
    [[nodiscard]] const std::uint8_t* data() const noexcept { return bytes_.data() + head_; }
    [[nodiscard]] std::size_t size() const noexcept { return bytes_.size() - head_; }
    [[nodiscard]] bool empty() const noexcept { return size() == 0; }

private:
    std::vector<std::uint8_t> bytes_;
    std::size_t head_ = 0;
};

/// What one non-blocking read or write did.
enum class IoStatus : std::uint8_t { progress, would_block, end_of_stream, failed };

struct IoResult {
    IoStatus status = IoStatus::would_block;
    std::size_t bytes = 0;
    int error = 0;  ///< errno when failed
};

IoResult read_some(int fd, std::uint8_t* buffer, std::size_t capacity) noexcept;
IoResult send_some(int fd, const std::uint8_t* data, std::size_t size) noexcept;

/// A resolved address to dial.
struct Endpoint {
    sockaddr_storage address{};
    socklen_t length = 0;
    std::string numeric;  ///< "127.0.0.1", "::1"
};

/// Resolves `host` (aliases first, then getaddrinfo) and keeps only a loopback address.
/// Errors are the DialFailure to answer: resolve_failed, or unreachable when the name resolves
/// but to no loopback address.
struct Resolution {
    bool ok = false;
    port::uart_modem::DialFailure failure = port::uart_modem::DialFailure::other;
    Endpoint endpoint;
};
Resolution resolve_loopback(const std::string& host, std::uint16_t port,
                            const std::map<std::string, std::string>& aliases);

/// The DialFailure for a connect() errno.
port::uart_modem::DialFailure dial_failure_of(int error) noexcept;
const char* to_string(port::uart_modem::DialFailure failure) noexcept;

/// A non-blocking listening socket on 127.0.0.1:port.
Result<int> make_listener(std::uint16_t port) noexcept;
Result<std::uint16_t> local_port(int fd) noexcept;

/// close() that ends with FIN after the bytes already written: unread input is discarded first,
/// since closing a socket with unread input makes Linux send RST instead.
void close_orderly(int fd) noexcept;
void close_fd(int& fd) noexcept;

}  // namespace mqtls::testing::bridge_detail
