#include "mqtls/link/tls_channel.hpp"

namespace mqtls::link {

Result<void> TlsChannel::start(std::string_view server_name) noexcept {
    end();
    if (server_name.size() > max_server_name) return Error{Errc::invalid_argument, 0};
    server_name.copy(server_name_, server_name.size());
    server_name_length_ = server_name.size();
    if (caller_queues_) {
        engine_.emplace(*config_, queues_);
    } else {
        engine_.emplace(*config_);
    }
    return engine_->start(server_name);
}

Result<void> TlsChannel::offer_session(bytes_view sealed, const tls::SessionKey& key) noexcept {
    if (!engine_) return Error{Errc::invalid_argument, 0};
    return engine_->offer_session(sealed, key);
}

Result<std::size_t> TlsChannel::save_session(const tls::SessionKey& key,
                                             mutable_bytes out) noexcept {
    if (!engine_) return Error{Errc::invalid_argument, 0};
    return engine_->save_session(key, out);
}

std::size_t TlsChannel::feed_ciphertext(bytes_view bytes) noexcept {
    return engine_ ? engine_->feed_ciphertext(bytes) : 0;
}

bytes_view TlsChannel::pending_ciphertext() const noexcept {
    return engine_ ? engine_->pending_ciphertext() : bytes_view{};
}

void TlsChannel::consume_ciphertext(std::size_t count) noexcept {
    if (engine_) engine_->consume_ciphertext(count);
}

Result<bool> TlsChannel::handshake() noexcept {
    if (!engine_) return Error{Errc::invalid_argument, 0};
    return engine_->handshake();
}

bool TlsChannel::handshake_done() const noexcept { return engine_ && engine_->handshake_done(); }

bool TlsChannel::session_ready() const noexcept { return engine_ && engine_->session_ready(); }

bool TlsChannel::client_certificate_missing() const noexcept {
    return engine_ && engine_->client_certificate_missing();
}

Result<std::size_t> TlsChannel::write_plaintext(bytes_view plaintext) noexcept {
    if (!engine_) return Error{Errc::invalid_argument, 0};
    return engine_->write_plaintext(plaintext);
}

Result<std::size_t> TlsChannel::read_plaintext(mutable_bytes out) noexcept {
    if (!engine_) return Error{Errc::invalid_argument, 0};
    return engine_->read_plaintext(out);
}

Result<void> TlsChannel::close_notify() noexcept {
    if (!engine_) return Error{Errc::invalid_argument, 0};
    return engine_->close_notify();
}

tls::ConnectionInfo TlsChannel::tls_info() const noexcept {
    return engine_ ? engine_->info() : tls::ConnectionInfo{};
}

ChannelInfo TlsChannel::info() const noexcept {
    const tls::ConnectionInfo tls = tls_info();
    ChannelInfo info;
    info.protocol = tls.protocol;
    info.cipher_suite = tls.cipher_suite;
    // Our copy: the Engine's goes with it at end().
    info.verified_name = tls.verified_name.empty()
                             ? std::string_view()
                             : std::string_view(server_name_, server_name_length_);
    info.peer_chain_length = tls.peer_chain_length;
    info.resumed = tls.resumed;
    info.alpn_protocol = tls.alpn_protocol;
    return info;
}

std::size_t TlsChannel::tls_heap_peak() const noexcept {
    return engine_ ? engine_->heap_usage().peak : last_heap_peak_;
}

std::size_t TlsChannel::queue_bytes() const noexcept {
    return engine_ ? engine_->queue_bytes() : last_queue_bytes_;
}

std::size_t TlsChannel::memory_peak() const noexcept { return tls_heap_peak() + queue_bytes(); }

void TlsChannel::end() noexcept {
    if (!engine_) return;
    last_heap_peak_ = engine_->heap_usage().peak;
    last_queue_bytes_ = engine_->queue_bytes();
    engine_.reset();  // mbedTLS wipes the session's keys as it frees them
}

}  // namespace mqtls::link
