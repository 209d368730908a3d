#pragma once
/// @file
/// A TCP connection for the transport below TLS: connected with a deadline, non-blocking from
/// then on, so the caller's event loop decides when to wait (`wait()`) and never hangs inside a
/// read or write.
///
/// Errors, all with the errno (or getaddrinfo code) in `detail`:
///   resolve_failed       getaddrinfo failed (detail: its EAI_* code)
///   connection_refused   nothing listens on that port (ECONNREFUSED)
///   connect_timed_out    no answer before the deadline (detail 0), or the kernel gave up
///                        (ETIMEDOUT)
///   network_unreachable  no route, or an address family this host does not have
///   connection_reset     the peer closed or reset the connection; detail 0 means an orderly
///                        close (end of stream), see is_end_of_stream()
///   socket_error         anything else, e.g. out of file descriptors (EMFILE)
///   io_timed_out         wait() saw nothing ready in time
///   invalid_argument     bad host name, port 0, a non-positive timeout, or wait() for nothing

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mqtls/core/error.hpp"
#include "mqtls/core/result.hpp"
#include "mqtls/core/span.hpp"
#include "mqtls/core/time.hpp"
#include "mqtls/link/byte_stream.hpp"

struct addrinfo;

namespace mqtls::port::posix {

class TcpStream;

namespace detail {
/// connect()'s work after name resolution: tries `addresses` in list order against one deadline
/// and reports the most telling failure. Declared here so that it may build a TcpStream, and
/// tested directly with hand-made address lists (a resolver's answers depend on the machine).
Result<TcpStream> connect_to_any(const ::addrinfo* addresses, Instant deadline) noexcept;
}  // namespace detail

/// Which directions wait() found ready. A direction is also reported ready when the socket has
/// an error or the peer hung up, so that the next send_some()/receive_some() reports it.
using link::Readiness;
/// Whether `error` (from receive_some) is the peer's orderly close rather than a reset.
using link::is_end_of_stream;

/// The Linux link::ByteStream (link::Connection's transport on a host).
class TcpStream final : public link::ByteStream {
public:
    /// Room for "[<IPv6 address>%<interface>]:<port>" and its terminator.
    static constexpr std::size_t peer_address_capacity = 80;

    /// A stream that is not connected; every operation on it fails with socket_error (EBADF).
    TcpStream() noexcept = default;
    ~TcpStream();
    TcpStream(TcpStream&& other) noexcept;
    TcpStream& operator=(TcpStream&& other) noexcept;
    TcpStream(const TcpStream&) = delete;
    TcpStream& operator=(const TcpStream&) = delete;

    /// Resolves `host` (a name or a numeric IPv4/IPv6 address) and connects to each address in
    /// the resolver's order until one accepts, each attempt getting whatever is left of
    /// `timeout`. When all fail, the most telling failure is returned: connection_refused over
    /// connect_timed_out over socket_error over network_unreachable (a missing IPv6 route is
    /// common and says little when another address timed out or refused).
    ///
    /// The deadline bounds the TCP connects only: getaddrinfo has no timeout of its own and
    /// blocks for as long as the system resolver is configured to (resolv.conf timeout and
    /// attempts). Numeric addresses never wait for the resolver.
    static Result<TcpStream> connect(std::string_view host, std::uint16_t port,
                                     Duration timeout) noexcept;

    /// connect() into this stream (the link::ByteStream way): closes what was open first.
    /// Errors as connect().
    Result<void> open(std::string_view host, std::uint16_t port,
                      Duration timeout) noexcept override;

    /// Takes ownership of a connected TCP socket (e.g. from accept()) and sets it up like
    /// connect() does: non-blocking, close-on-exec, TCP_NODELAY. On failure the socket is closed.
    static Result<TcpStream> adopt(int connected_socket) noexcept;

    /// Sends from the front of `data` and returns how many bytes the kernel took: 0 when its
    /// buffer is full (wait for writable), also 0 for empty `data`. Never raises SIGPIPE: a peer
    /// that is gone gives connection_reset.
    Result<std::size_t> send_some(bytes_view data) noexcept override;

    /// Receives into the front of `buffer` and returns how many bytes arrived: 0 when nothing is
    /// there yet (wait for readable), also 0 for an empty `buffer`. When the peer has closed,
    /// fails with connection_reset: detail 0 after an orderly close (is_end_of_stream()), the
    /// errno (ECONNRESET) after a reset.
    Result<std::size_t> receive_some(mutable_bytes buffer) noexcept override;

    /// Waits until the socket is readable and/or writable (as asked), at most `timeout` (a
    /// non-positive timeout only looks). Fails with io_timed_out if nothing became ready, and
    /// with invalid_argument if asked to wait for neither direction.
    Result<Readiness> wait(bool want_read, bool want_write, Duration timeout) noexcept override;

    /// From now on sent bytes wait in the kernel until close(), which sends them together with
    /// the FIN: a goodbye (MQTT DISCONNECT, TLS close_notify, FIN) in one segment instead of
    /// three. close() then half-closes first (the bytes and the FIN leave), and reads away what
    /// the peer sent meanwhile, because closing a socket with unread data resets the connection
    /// and would discard held bytes. Linux (TCP_CORK); elsewhere it does nothing.
    void hold_until_close() noexcept override;

    /// How received segments are acknowledged. Deferred (the default after connecting): the ACK
    /// waits a moment to ride on our next bytes, which during a handshake follow within
    /// microseconds: one segment less per flight. Quick: every segment is acknowledged at once;
    /// wanted once the peer may hold a small packet back until the last one is acknowledged
    /// (a broker with Nagle's algorithm on, Mosquitto's default, holding PUBACK behind CONNACK
    /// for our 40 ms delayed ACK). Linux (TCP_QUICKACK); elsewhere it does nothing.
    void set_quick_acknowledgements(bool quick) noexcept override;

    /// Closes the socket; the stream becomes not connected but keeps its peer_address() for the
    /// log line that usually follows. Closing twice is harmless.
    void close() noexcept override;

    [[nodiscard]] bool is_open() const noexcept override { return socket_ >= 0; }
    /// The file descriptor, for the caller's own poll(); -1 when not connected. Still owned by
    /// the stream.
    [[nodiscard]] int native_handle() const noexcept { return socket_; }
    /// The peer as "127.0.0.1:8883" or "[::1]:8883", for logs; "" if the stream never was
    /// connected. Captured when connecting, so it stays readable after the connection fails or is
    /// closed. Points into this object: copy it before moving or destroying the stream.
    [[nodiscard]] const char* peer_address() const noexcept { return peer_address_.data(); }

private:
    friend Result<TcpStream> detail::connect_to_any(const ::addrinfo* addresses,
                                                    Instant deadline) noexcept;
    explicit TcpStream(int connected_socket) noexcept : socket_(connected_socket) {}

    int socket_ = -1;
    bool corked_ = false;
    bool quick_acknowledgements_ = false;
    std::array<char, peer_address_capacity> peer_address_{};
};

}  // namespace mqtls::port::posix
