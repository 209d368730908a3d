#pragma once
/// @file
/// An in-memory TCP connection for the simulation: a Network joins a client SimStream (what the
/// code under test opens, a link::ByteStream) and a server SimStream (what the sim::Broker
/// speaks on), with a latency per direction and faults scripted per connection:
///   - refuse: open() fails with connection_refused (nothing listens);
///   - unreachable: open() waits out its timeout and fails with connect_timed_out;
///   - cut: the connection is reset after byte N of a direction (N inside a TLS record gives
///     "cut mid-record"): the receiver gets the N bytes, then connection_reset, and so does the
///     other side;
///   - black hole: from byte N of a direction, or from an instant on (both directions), bytes
///     are accepted and vanish: nothing arrives, nobody is told, so only timers can notice.
/// Time is the VirtualClock's: the client's wait() runs the server (its ServerAgent) for every
/// byte due and jumps the clock to the next delivery or the timeout, whichever comes first.
///
/// Each send_some() is one delivery (a TCP segment train): it arrives whole, after the latency,
/// and receive_some() never returns bytes of two deliveries at once, so the server can tell
/// which bytes travelled together (last_delivery()). Host test code: uses std::vector.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string_view>
#include <vector>

#include "mqtls/core/result.hpp"
#include "mqtls/core/span.hpp"
#include "mqtls/core/time.hpp"
#include "mqtls/link/byte_stream.hpp"
#include "mqtls/sim/virtual_clock.hpp"

namespace mqtls::sim {

enum class Direction : std::uint8_t { to_server = 0, to_client = 1 };

/// The detail of a simulated reset and refusal (Linux's ECONNRESET and ECONNREFUSED values, so
/// logs read as they would on a host).
inline constexpr std::int32_t reset_detail = 104;
inline constexpr std::int32_t refused_detail = 111;
inline constexpr std::size_t no_fault = static_cast<std::size_t>(-1);

/// What happens to one connection (by the index of its open() attempt, from 0).
struct ConnectionScript {
    bool refuse = false;
    bool unreachable = false;
    std::size_t cut_at[2] = {no_fault, no_fault};         ///< by Direction
    std::size_t black_hole_at[2] = {no_fault, no_fault};  ///< by Direction
    Instant black_hole_from = Instant::never();           ///< both directions
};

/// The server side's program (sim::Broker): told when a connection opens and when bytes (or an
/// end of stream, or a reset) are due at the server end.
class ServerAgent {
public:
    virtual void on_accept() noexcept = 0;
    virtual void on_readable() noexcept = 0;

protected:
    ServerAgent() = default;
    ServerAgent(const ServerAgent&) = default;
    ServerAgent& operator=(const ServerAgent&) = default;
    ~ServerAgent() = default;
};

class Network;

/// One end of the simulated connection.
class SimStream final : public link::ByteStream {
public:
    /// Client end: connects (applying the script of this attempt). Server end: invalid_argument
    /// (the server end is opened by the client's open()).
    Result<void> open(std::string_view host, std::uint16_t port,
                      Duration timeout) noexcept override;
    Result<std::size_t> send_some(bytes_view data) noexcept override;
    Result<std::size_t> receive_some(mutable_bytes buffer) noexcept override;
    /// Client end: advances the virtual clock (see the file comment). Server end: only looks.
    Result<link::Readiness> wait(bool want_read, bool want_write,
                                 Duration timeout) noexcept override;
    void close() noexcept override;
    [[nodiscard]] bool is_open() const noexcept override { return open_; }
    void hold_until_close() noexcept override { ++hold_until_close_calls_; }
    void set_quick_acknowledgements(bool quick) noexcept override { quick_acks_ = quick; }

    /// The delivery the last receive_some() took bytes from (increasing per direction).
    [[nodiscard]] std::uint64_t last_delivery() const noexcept { return last_delivery_; }
    [[nodiscard]] bool quick_acknowledgements() const noexcept { return quick_acks_; }
    [[nodiscard]] int hold_until_close_calls() const noexcept { return hold_until_close_calls_; }

private:
    friend class Network;
    SimStream(Network& network, Direction outgoing) noexcept
        : network_(network), outgoing_(outgoing) {}
    Network& network_;
    Direction outgoing_;  // the direction this end sends in
    bool open_ = false;
    bool quick_acks_ = false;
    int hold_until_close_calls_ = 0;
    std::uint64_t last_delivery_ = 0;
};

class Network {
public:
    explicit Network(VirtualClock& clock) noexcept;
    Network(const Network&) = delete;
    Network& operator=(const Network&) = delete;

    [[nodiscard]] SimStream& client() noexcept { return client_; }
    [[nodiscard]] SimStream& server() noexcept { return server_; }
    [[nodiscard]] VirtualClock& clock() noexcept { return clock_; }

    void attach(ServerAgent& agent) noexcept { agent_ = &agent; }
    void set_latency(Direction direction, Duration latency) noexcept;
    /// Like TCP, one client read takes every delivery that is due (as far as the buffer goes),
    /// not one segment per read: several records then reach the channel together.
    void set_coalescing(bool coalescing) noexcept { coalescing_ = coalescing; }
    /// The script of open() attempt `connection` (0-based); later attempts get a clean one.
    ConnectionScript& script(std::size_t connection);

    [[nodiscard]] std::size_t open_attempts() const noexcept { return attempts_; }
    /// Faults that fired so far (refusals, unreachable opens, cuts, black holes).
    [[nodiscard]] std::size_t faults_fired() const noexcept { return faults_fired_; }
    /// Bytes sent in `direction` on the current connection (vanished ones included).
    [[nodiscard]] std::size_t bytes_sent(Direction direction) const noexcept;

    /// Runs the server for everything due by now (the client's calls do this themselves).
    void run_due() noexcept;

private:
    friend class SimStream;
    struct Delivery {
        Instant at;
        std::vector<std::uint8_t> bytes;
        std::size_t taken = 0;
        bool end = false;    // orderly close after the bytes
        bool reset = false;  // reset after the bytes
        std::uint64_t index = 0;
    };
    struct Pipe {
        std::deque<Delivery> in_flight;
        std::size_t sent = 0;
        std::uint64_t next_index = 1;
        Duration latency;
    };

    Pipe& pipe(Direction direction) noexcept { return pipes_[static_cast<int>(direction)]; }
    [[nodiscard]] const ConnectionScript& current_script() const noexcept;
    Result<void> open_client(std::string_view host, std::uint16_t port, Duration timeout) noexcept;
    Result<std::size_t> send(Direction direction, bytes_view data) noexcept;
    std::size_t black_holed(Direction direction, std::size_t keep) noexcept;
    void send_marker(Direction direction, bool reset) noexcept;
    void reset_both() noexcept;
    Result<std::size_t> receive(SimStream& end, mutable_bytes buffer) noexcept;
    Result<std::size_t> receive_one(SimStream& end, mutable_bytes buffer) noexcept;
    [[nodiscard]] bool due(Direction direction) const noexcept;
    [[nodiscard]] Instant next_arrival(Direction direction) const noexcept;
    Result<link::Readiness> wait_client(bool want_read, bool want_write, Duration timeout) noexcept;
    void close_end(SimStream& end) noexcept;

    VirtualClock& clock_;
    bool coalescing_ = false;
    SimStream client_;
    SimStream server_;
    ServerAgent* agent_ = nullptr;
    Pipe pipes_[2];
    std::vector<ConnectionScript> scripts_;
    std::size_t attempts_ = 0;
    std::size_t connection_ = 0;  // index of the current connection's attempt
    bool broken_ = false;         // reset: every further send fails
    std::size_t faults_fired_ = 0;
    bool black_hole_counted_ = false;
    bool running_agent_ = false;
};

}  // namespace mqtls::sim
