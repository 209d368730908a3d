#include "mqtls/sim/network.hpp"

#include <algorithm>
#include <cstring>

namespace mqtls::sim {
namespace {

constexpr int wait_rounds = 100'000;
constexpr int agent_rounds = 10'000;

Direction opposite(Direction direction) noexcept {
    return direction == Direction::to_server ? Direction::to_client : Direction::to_server;
}

}  // namespace

Network::Network(VirtualClock& clock) noexcept
    : clock_(clock), client_(*this, Direction::to_server), server_(*this, Direction::to_client) {}

void Network::set_latency(Direction direction, Duration latency) noexcept {
    pipe(direction).latency = latency;
}

ConnectionScript& Network::script(std::size_t connection) {
    if (scripts_.size() <= connection) scripts_.resize(connection + 1);
    return scripts_[connection];
}

const ConnectionScript& Network::current_script() const noexcept {
    static const ConnectionScript clean{};
    return connection_ < scripts_.size() ? scripts_[connection_] : clean;
}

std::size_t Network::bytes_sent(Direction direction) const noexcept {
    return pipes_[static_cast<int>(direction)].sent;
}

Result<void> Network::open_client(std::string_view host, std::uint16_t port,
                                  Duration timeout) noexcept {
    if (host.empty() || port == 0 || timeout <= Duration{}) return Error{Errc::invalid_argument, 0};
    if (client_.open_) close_end(client_);
    connection_ = attempts_++;
    const ConnectionScript& script = current_script();
    const Duration round_trip =
        pipe(Direction::to_server).latency + pipe(Direction::to_client).latency;
    if (script.unreachable) {
        ++faults_fired_;
        clock_.advance(timeout);
        return Error{Errc::connect_timed_out, 0};
    }
    if (script.refuse) {
        ++faults_fired_;
        clock_.advance(round_trip);
        return Error{Errc::connection_refused, refused_detail};
    }
    for (Pipe& p : pipes_) {
        p.in_flight.clear();
        p.sent = 0;
    }
    broken_ = false;
    black_hole_counted_ = false;
    clock_.advance(round_trip);  // SYN, SYN-ACK
    client_.open_ = true;
    server_.open_ = true;
    if (agent_ != nullptr) agent_->on_accept();
    return ok();
}

void Network::send_marker(Direction direction, bool reset) noexcept {
    Pipe& p = pipe(direction);
    Delivery marker;
    marker.at = clock_.now() + p.latency;
    marker.end = !reset;
    marker.reset = reset;
    marker.index = p.next_index++;
    p.in_flight.push_back(std::move(marker));
}

void Network::reset_both() noexcept {
    broken_ = true;
    send_marker(Direction::to_server, true);
    send_marker(Direction::to_client, true);
}

std::size_t Network::black_holed(Direction direction, std::size_t keep) noexcept {
    const ConnectionScript& script = current_script();
    const std::size_t from = script.black_hole_at[static_cast<int>(direction)];
    const std::size_t sent = pipe(direction).sent;
    std::size_t kept = keep;
    if (from != no_fault && sent + keep > from) kept = from > sent ? from - sent : 0;
    if (clock_.now() >= script.black_hole_from) kept = 0;
    if (kept < keep && !black_hole_counted_) {
        ++faults_fired_;
        black_hole_counted_ = true;
    }
    return kept;
}

Result<std::size_t> Network::send(Direction direction, bytes_view data) noexcept {
    if (broken_) return Error{Errc::connection_reset, reset_detail};
    Pipe& p = pipe(direction);
    const std::size_t cut_at = current_script().cut_at[static_cast<int>(direction)];
    const bool cut = cut_at != no_fault && p.sent + data.size() >= cut_at;
    std::size_t keep = data.size();
    if (cut) keep = cut_at > p.sent ? cut_at - p.sent : 0;
    const std::size_t delivered = black_holed(direction, keep);
    if (delivered > 0) {
        Delivery delivery;
        delivery.at = clock_.now() + p.latency;
        delivery.bytes.assign(data.begin(), data.begin() + static_cast<std::ptrdiff_t>(delivered));
        delivery.index = p.next_index++;
        p.in_flight.push_back(std::move(delivery));
    }
    p.sent += keep;
    if (cut) {
        ++faults_fired_;
        reset_both();
    }
    return data.size();
}

bool Network::due(Direction direction) const noexcept {
    const Pipe& p = pipes_[static_cast<int>(direction)];
    return !p.in_flight.empty() && p.in_flight.front().at <= clock_.now();
}

Instant Network::next_arrival(Direction direction) const noexcept {
    const Pipe& p = pipes_[static_cast<int>(direction)];
    return p.in_flight.empty() ? Instant::never() : p.in_flight.front().at;
}

Result<std::size_t> Network::receive(SimStream& end, mutable_bytes buffer) noexcept {
    Result<std::size_t> first = receive_one(end, buffer);
    if (!coalescing_ || &end != &client_ || !first || *first == 0) return first;
    std::size_t total = *first;
    Pipe& p = pipe(opposite(end.outgoing_));
    for (int round = 0; round < agent_rounds && total < buffer.size(); ++round) {
        if (p.in_flight.empty() || p.in_flight.front().at > clock_.now()) break;
        // A close or reset marker is reported by a read of its own.
        if (p.in_flight.front().taken == p.in_flight.front().bytes.size()) break;
        const Result<std::size_t> more =
            receive_one(end, mutable_bytes(buffer.data() + total, buffer.size() - total));
        if (!more || *more == 0) break;
        total += *more;
    }
    return total;
}

Result<std::size_t> Network::receive_one(SimStream& end, mutable_bytes buffer) noexcept {
    if (!end.open_) return Error{Errc::not_connected, 0};
    if (&end == &client_) run_due();
    Pipe& p = pipe(opposite(end.outgoing_));
    if (p.in_flight.empty() || p.in_flight.front().at > clock_.now()) return std::size_t{0};
    Delivery& front = p.in_flight.front();
    const std::size_t left = front.bytes.size() - front.taken;
    if (left > 0) {
        const std::size_t n = std::min(left, buffer.size());
        if (n > 0) std::memcpy(buffer.data(), front.bytes.data() + front.taken, n);
        front.taken += n;
        end.last_delivery_ = front.index;
        if (front.taken == front.bytes.size() && !front.end && !front.reset)
            p.in_flight.pop_front();
        return n;
    }
    const bool reset = front.reset;
    p.in_flight.pop_front();
    return Error{Errc::connection_reset, reset ? reset_detail : 0};
}

void Network::run_due() noexcept {
    if (agent_ == nullptr || running_agent_) return;
    running_agent_ = true;
    for (int round = 0; round < agent_rounds && server_.open_ && due(Direction::to_server);
         ++round) {
        const std::size_t before = pipe(Direction::to_server).in_flight.size();
        const std::size_t taken_before =
            before > 0 ? pipe(Direction::to_server).in_flight.front().taken : 0;
        agent_->on_readable();
        const Pipe& p = pipe(Direction::to_server);
        const bool moved =
            p.in_flight.size() != before ||
            (before > 0 && !p.in_flight.empty() && p.in_flight.front().taken != taken_before);
        if (!moved) break;  // the agent reads nothing more now
    }
    running_agent_ = false;
}

Result<link::Readiness> Network::wait_client(bool want_read, bool want_write,
                                             Duration timeout) noexcept {
    if (!client_.open_) return Error{Errc::not_connected, 0};
    if (!want_read && !want_write) return Error{Errc::invalid_argument, 0};
    const Instant deadline = clock_.now() + (timeout > Duration{} ? timeout : Duration{});
    for (int round = 0; round < wait_rounds; ++round) {
        run_due();
        link::Readiness ready;
        ready.readable = want_read && due(Direction::to_client);
        // The simulated send buffer never fills: a writer can always write.
        ready.writable = want_write && client_.open_;
        if (ready.readable || ready.writable) return ready;
        const Instant next =
            earliest(next_arrival(Direction::to_client),
                     server_.open_ ? next_arrival(Direction::to_server) : Instant::never());
        if (next > deadline) {
            clock_.advance_to(deadline);
            return Error{Errc::io_timed_out, 0};
        }
        clock_.advance_to(next);
    }
    return Error{Errc::io_timed_out, 0};
}

void Network::close_end(SimStream& end) noexcept {
    if (!end.open_) return;
    end.open_ = false;
    if (!broken_) send_marker(end.outgoing_, false);
    if (&end == &client_) run_due();
}

Result<void> SimStream::open(std::string_view host, std::uint16_t port, Duration timeout) noexcept {
    if (outgoing_ != Direction::to_server) return Error{Errc::invalid_argument, 0};
    return network_.open_client(host, port, timeout);
}

Result<std::size_t> SimStream::send_some(bytes_view data) noexcept {
    if (!open_) return Error{Errc::not_connected, 0};
    if (data.empty()) return std::size_t{0};
    return network_.send(outgoing_, data);
}

Result<std::size_t> SimStream::receive_some(mutable_bytes buffer) noexcept {
    return network_.receive(*this, buffer);
}

Result<link::Readiness> SimStream::wait(bool want_read, bool want_write,
                                        Duration timeout) noexcept {
    if (outgoing_ == Direction::to_server)
        return network_.wait_client(want_read, want_write, timeout);
    if (!open_) return Error{Errc::not_connected, 0};
    if (!want_read && !want_write) return Error{Errc::invalid_argument, 0};
    link::Readiness ready;
    ready.readable = want_read && network_.due(Direction::to_server);
    ready.writable = want_write;
    if (!ready.readable && !ready.writable) return Error{Errc::io_timed_out, 0};
    return ready;
}

void SimStream::close() noexcept { network_.close_end(*this); }

}  // namespace mqtls::sim
