// Session resumption in memory: a sealed session survives the client's Engine and Config (a
// deep sleep resets the device), and every kind of bad blob falls back to a full handshake.
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "mqtls/pki/certificate.hpp"
#include "mqtls/tls/session.hpp"
#include "session_seal.hpp"
#include "tls_test_support.hpp"

namespace mqtls::tls {
namespace {

using testing::client_options;
using testing::clock_at;
using testing::HandshakeOutcome;
using testing::now_seconds;
using testing::run_handshake;
using testing::server_options;
using testing::test_pki;
using testing::transfer;

bytes_view view(const std::vector<std::uint8_t>& bytes) { return {bytes.data(), bytes.size()}; }
mutable_bytes view(std::vector<std::uint8_t>& bytes) { return {bytes.data(), bytes.size()}; }

SessionKey key_of(std::uint8_t seed) {
    SessionKey key;
    for (std::size_t i = 0; i < key.bytes.size(); ++i) {
        key.bytes[i] = static_cast<std::uint8_t>(seed + i * 7);
    }
    return key;
}

// A server that lives across several client connections, as a broker does.
struct Server {
    explicit Server(ConfigOptions options) : resumes(options.session_resumption) {
        EXPECT_TRUE(config.setup(options));
    }
    Config config;
    // Whether it gives sessions out: under TLS 1.3 a server that does not sends no ticket, so
    // its clients have no session to save.
    bool resumes = true;
};

// One device boot: a fresh Config and Engine, as after a reset from deep sleep.
struct Device {
    explicit Device(const ConfigOptions& options) { EXPECT_TRUE(config.setup(options)); }
    Config config;
    std::unique_ptr<Engine> engine;
};

struct Connection {
    Result<void> offer = ok();
    HandshakeOutcome outcome;
    ConnectionInfo client_info;
    ConnectionInfo server_info;
    std::string verified_name;         // info() views into the Engine, which is gone by then
    std::vector<std::uint8_t> sealed;  // what the client saved after the handshake
    std::size_t client_hello_size = 0;
};

Connection connect(Server& server, const ConfigOptions& device_options, std::string_view name,
                   const std::vector<std::uint8_t>& stored, const SessionKey& key) {
    Connection result;
    Device device(device_options);
    device.engine = std::make_unique<Engine>(device.config);
    Engine server_engine(server.config);
    EXPECT_TRUE(device.engine->start(name));
    EXPECT_TRUE(server_engine.start(""));
    if (!stored.empty()) result.offer = device.engine->offer_session(view(stored), key);
    // The first call writes the ClientHello; its size shows whether a session was offered.
    EXPECT_TRUE(device.engine->handshake());
    result.client_hello_size = device.engine->pending_ciphertext().size();
    result.outcome = run_handshake(*device.engine, server_engine);
    if (!result.outcome.both_done()) return result;
    result.client_info = device.engine->info();
    result.server_info = server_engine.info();
    result.verified_name = std::string(result.client_info.verified_name);
    result.client_info.verified_name = {};

    // Application data flows both ways over whichever kind of session it is.
    const std::string ping = "CONNECT";
    EXPECT_TRUE(device.engine->write_plaintext(as_bytes(ping.data(), ping.size())));
    transfer(*device.engine, server_engine);
    std::uint8_t buffer[64];
    auto got = server_engine.read_plaintext(buffer);
    EXPECT_TRUE(got && *got == ping.size());
    // And back: the device reads it after any TLS 1.3 NewSessionTicket the server sent when
    // its handshake ended, which makes the session ready to save.
    const std::string pong = "CONNACK";
    EXPECT_TRUE(server_engine.write_plaintext(as_bytes(pong.data(), pong.size())));
    transfer(server_engine, *device.engine);
    got = device.engine->read_plaintext(buffer);
    EXPECT_TRUE(got && *got == pong.size());
    const bool session_expected = server.resumes || !result.client_info.tls13;
    EXPECT_EQ(device.engine->session_ready(), session_expected);

    result.sealed.resize(max_sealed_session_size);
    auto saved =
        device.engine->save_session(key, mutable_bytes(result.sealed.data(), result.sealed.size()));
    if (session_expected) {
        EXPECT_TRUE(saved) << (saved ? "" : saved.error().message());
    } else {
        EXPECT_FALSE(saved);
        if (!saved) {
            EXPECT_EQ(saved.error().code, Errc::session_invalid);  // no ticket came
        }
    }
    result.sealed.resize(saved ? *saved : 0);
    return result;
}

ConfigOptions device_options() { return client_options(test_pki().root.certificate_pem); }

TEST(TlsResumption, ResumesAfterEngineAndConfigAreRebuiltFromTheBlob) {
    Server broker(server_options(test_pki().server));
    const SessionKey key = key_of(1);
    const Connection first = connect(broker, device_options(), "broker.test", {}, key);
    ASSERT_TRUE(first.outcome.both_done());
    EXPECT_FALSE(first.client_info.resumed);
    EXPECT_FALSE(first.server_info.resumed);
    ASSERT_GT(first.sealed.size(), detail::sealed_overhead);
    EXPECT_LE(first.sealed.size(), max_sealed_session_size);

    const Connection second = connect(broker, device_options(), "broker.test", first.sealed, key);
    ASSERT_TRUE(second.offer) << second.offer.error().message();
    ASSERT_TRUE(second.outcome.both_done());
    EXPECT_TRUE(second.client_info.resumed);
    EXPECT_TRUE(second.server_info.resumed);
    EXPECT_EQ(second.verified_name, "broker.test");
    EXPECT_GT(second.client_hello_size, first.client_hello_size);  // the session ID went along

    // The blob saved after a resumption resumes again (a chain of wake cycles).
    const Connection third = connect(broker, device_options(), "broker.test", second.sealed, key);
    ASSERT_TRUE(third.outcome.both_done());
    EXPECT_TRUE(third.client_info.resumed);
}

TEST(TlsResumption, SealedBlobHidesTheSessionSecrets) {
    Server broker(server_options(test_pki().server));
    const Connection first = connect(broker, device_options(), "broker.test", {}, key_of(1));
    ASSERT_TRUE(first.outcome.both_done());
    // The broker's certificate travels inside the session: sealed, its DER must not show.
    const std::string der_marker = "broker.test";
    const std::string blob(first.sealed.begin(), first.sealed.end());
    EXPECT_EQ(blob.find(der_marker), std::string::npos);
    // Two seals of one session differ (fresh nonce).
    Connection again = connect(broker, device_options(), "broker.test", first.sealed, key_of(1));
    ASSERT_TRUE(again.client_info.resumed);
    EXPECT_NE(again.sealed, first.sealed);
}

TEST(TlsResumption, RestartedServerDeclinesAndTheFullHandshakeIsTransparent) {
    const SessionKey key = key_of(2);
    std::vector<std::uint8_t> stored;
    {
        Server broker(server_options(test_pki().server));
        const Connection first = connect(broker, device_options(), "broker.test", {}, key);
        ASSERT_TRUE(first.outcome.both_done());
        stored = first.sealed;
    }
    Server restarted(server_options(test_pki().server));  // new ticket keys, empty cache
    const Connection after = connect(restarted, device_options(), "broker.test", stored, key);
    EXPECT_TRUE(after.offer);  // offered, then declined by the server
    ASSERT_TRUE(after.outcome.both_done());
    EXPECT_FALSE(after.client_info.resumed);
    EXPECT_EQ(after.client_info.peer_chain_length, 1U);
    // The refreshed blob resumes with the restarted server.
    const Connection next = connect(restarted, device_options(), "broker.test", after.sealed, key);
    ASSERT_TRUE(next.outcome.both_done());
    EXPECT_TRUE(next.client_info.resumed);
}

TEST(TlsResumption, ResumesByTicketWhenAskedTo) {
    if (testing::testing_tls13()) {
        GTEST_SKIP() << "TLS 1.2 only: TLS 1.3 resumes by ticket alone (the other tests)";
    }
    Server broker(server_options(test_pki().server));
    const SessionKey key = key_of(10);
    ConfigOptions by_ticket = device_options();
    by_ticket.session_tickets = true;
    const Connection by_id = connect(broker, device_options(), "broker.test", {}, key);
    const Connection first = connect(broker, by_ticket, "broker.test", {}, key);
    ASSERT_TRUE(first.outcome.both_done());
    const Connection second = connect(broker, by_ticket, "broker.test", first.sealed, key);
    ASSERT_TRUE(second.outcome.both_done());
    EXPECT_TRUE(second.client_info.resumed);
    EXPECT_TRUE(second.server_info.resumed);
    // The ticket (the session state, encrypted by the server) rides in the ClientHello.
    const Connection resumed_by_id =
        connect(broker, device_options(), "broker.test", by_id.sealed, key);
    ASSERT_TRUE(resumed_by_id.client_info.resumed);
    EXPECT_GT(second.client_hello_size, resumed_by_id.client_hello_size + 64);
    // A ticket's lifetime hint bounds the blob's lifetime; a session ID gets the default.
    auto ticket_header = detail::peek_sealed_header(view(first.sealed));
    auto id_header = detail::peek_sealed_header(view(by_id.sealed));
    ASSERT_TRUE(ticket_header && id_header);
    EXPECT_EQ(ticket_header->lifetime_s, server_ticket_lifetime_s);
    EXPECT_EQ(id_header->lifetime_s, default_session_lifetime_s);
}

TEST(TlsResumption, ServerWithoutResumptionAlwaysDoesFullHandshakes) {
    ConfigOptions options = server_options(test_pki().server);
    options.session_resumption = false;
    Server broker(options);
    const SessionKey key = key_of(3);
    const Connection first = connect(broker, device_options(), "broker.test", {}, key);
    ASSERT_TRUE(first.outcome.both_done());
    const Connection second = connect(broker, device_options(), "broker.test", first.sealed, key);
    ASSERT_TRUE(second.outcome.both_done());
    EXPECT_FALSE(second.client_info.resumed);
}

struct BadBlob {
    const char* what;
    void (*mangle)(std::vector<std::uint8_t>& blob);
    Errc expected;
};

class TlsResumptionBadBlob : public ::testing::TestWithParam<BadBlob> {};

TEST_P(TlsResumptionBadBlob, IsRejectedAndTheHandshakeIsFull) {
    Server broker(server_options(test_pki().server));
    const SessionKey key = key_of(4);
    const Connection fresh = connect(broker, device_options(), "broker.test", {}, key);
    ASSERT_TRUE(fresh.outcome.both_done());
    std::vector<std::uint8_t> blob = fresh.sealed;
    GetParam().mangle(blob);

    const Connection after = connect(broker, device_options(), "broker.test", blob, key);
    ASSERT_FALSE(after.offer) << GetParam().what;
    EXPECT_EQ(after.offer.error().code, GetParam().expected)
        << GetParam().what << ": " << after.offer.error().message();
    ASSERT_TRUE(after.outcome.both_done());
    EXPECT_FALSE(after.client_info.resumed);
    EXPECT_EQ(after.client_hello_size, fresh.client_hello_size) << "nothing may be offered";
}

INSTANTIATE_TEST_SUITE_P(Blobs, TlsResumptionBadBlob,
                         ::testing::Values(BadBlob{"a flipped ciphertext bit",
                                                   [](std::vector<std::uint8_t>& b) {
                                                       b[detail::sealed_header_size + 5] ^= 0x01;
                                                   },
                                                   Errc::session_invalid},
                                           BadBlob{"a flipped tag bit",
                                                   [](std::vector<std::uint8_t>& b) {
                                                       b.back() ^= 0x80;
                                                   },
                                                   Errc::session_invalid},
                                           BadBlob{
                                               "truncated by one byte",
                                               [](std::vector<std::uint8_t>& b) { b.pop_back(); },
                                               Errc::session_invalid},
                                           BadBlob{"truncated to the header",
                                                   [](std::vector<std::uint8_t>& b) {
                                                       b.resize(detail::sealed_header_size);
                                                   },
                                                   Errc::session_invalid},
                                           BadBlob{
                                               "empty but for one byte",
                                               [](std::vector<std::uint8_t>& b) { b.resize(1); },
                                               Errc::session_invalid},
                                           BadBlob{
                                               "a later creation time written in",
                                               [](std::vector<std::uint8_t>& b) { b[19] ^= 0x10; },
                                               Errc::session_invalid},
                                           BadBlob{
                                               "a longer lifetime written in",
                                               [](std::vector<std::uint8_t>& b) { b[20] = 0x7F; },
                                               Errc::session_invalid},
                                           BadBlob{"another format version",
                                                   [](std::vector<std::uint8_t>& b) { b[8] = 2; },
                                                   Errc::session_invalid},
                                           BadBlob{"random bytes",
                                                   [](std::vector<std::uint8_t>& b) {
                                                       for (std::size_t i = 0; i < b.size(); ++i) {
                                                           b[i] = static_cast<std::uint8_t>(
                                                               i * 131 + 17);
                                                       }
                                                   },
                                                   Errc::session_invalid}));

TEST(TlsResumption, BlobSealedUnderAnotherKeyIsRejected) {
    Server broker(server_options(test_pki().server));
    const Connection fresh = connect(broker, device_options(), "broker.test", {}, key_of(5));
    ASSERT_TRUE(fresh.outcome.both_done());
    const Connection after =
        connect(broker, device_options(), "broker.test", fresh.sealed, key_of(6));
    ASSERT_FALSE(after.offer);
    EXPECT_EQ(after.offer.error().code, Errc::session_invalid);
    EXPECT_FALSE(after.client_info.resumed);
}

TEST(TlsResumption, BlobForAnotherServerNameIsNeverOffered) {
    // The certificate is valid for both names; the session was verified for one of them.
    Server broker(server_options(test_pki().server));
    const SessionKey key = key_of(7);
    const Connection by_dns = connect(broker, device_options(), "broker.test", {}, key);
    ASSERT_TRUE(by_dns.outcome.both_done());
    const Connection by_ip = connect(broker, device_options(), "127.0.0.1", {}, key);
    ASSERT_TRUE(by_ip.outcome.both_done());

    const Connection other = connect(broker, device_options(), "127.0.0.1", by_dns.sealed, key);
    ASSERT_FALSE(other.offer);
    EXPECT_EQ(other.offer.error().code, Errc::session_mismatch);
    EXPECT_FALSE(other.client_info.resumed);
    EXPECT_EQ(other.client_hello_size, by_ip.client_hello_size) << "nothing may be offered";
}

TEST(TlsResumption, BlobFromAnotherTrustConfigurationIsNotOffered) {
    Server broker(server_options(test_pki().server));
    const SessionKey key = key_of(8);
    const Connection fresh = connect(broker, device_options(), "broker.test", {}, key);
    ASSERT_TRUE(fresh.outcome.both_done());

    // The same name, but a device that also trusts another root: the blob vouches for a
    // verification against a different bundle.
    const std::string both_roots =
        test_pki().root.certificate_pem + test_pki().other_root.certificate_pem;
    ConfigOptions wider = client_options(both_roots);
    const Connection other_roots = connect(broker, wider, "broker.test", fresh.sealed, key);
    ASSERT_FALSE(other_roots.offer);
    EXPECT_EQ(other_roots.offer.error().code, Errc::session_mismatch);

    // Another client certificate (mutual TLS identity) is another device.
    ConfigOptions with_cert = device_options();
    with_cert.certificate_pem = test_pki().client.certificate_pem;
    with_cert.private_key_pem = test_pki().client.private_key_pem;
    const Connection other_identity = connect(broker, with_cert, "broker.test", fresh.sealed, key);
    ASSERT_FALSE(other_identity.offer);
    EXPECT_EQ(other_identity.offer.error().code, Errc::session_mismatch);
}

TEST(TlsResumption, BlobPastItsLifetimeIsNotOffered) {
    Server broker(server_options(test_pki().server));
    const SessionKey key = key_of(9);
    const Connection fresh = connect(broker, device_options(), "broker.test", {}, key);
    ASSERT_TRUE(fresh.outcome.both_done());
    auto header = detail::peek_sealed_header(view(fresh.sealed));
    ASSERT_TRUE(header);
    // TLS 1.2 resumes by session ID (the default lifetime); TLS 1.3 only by ticket (its hint).
    EXPECT_EQ(header->lifetime_s,
              testing::testing_tls13() ? server_ticket_lifetime_s : default_session_lifetime_s);

    ConfigOptions later = device_options();
    later.wall_clock = clock_at(now_seconds() + default_session_lifetime_s + 60);
    const Connection after = connect(broker, later, "broker.test", fresh.sealed, key);
    ASSERT_FALSE(after.offer);
    EXPECT_EQ(after.offer.error().code, Errc::session_expired);

    ConfigOptions still_valid = device_options();
    still_valid.wall_clock = clock_at(now_seconds() + server_ticket_lifetime_s - 600);
    // (within the server's own cache timeout too, so the broker still knows the session)
    const Connection within = connect(broker, still_valid, "broker.test", fresh.sealed, key);
    EXPECT_TRUE(within.offer);
    EXPECT_TRUE(within.client_info.resumed);
}

TEST(TlsResumption, BlobNeverOutlivesTheCertificateChain) {
    // A CA that expires in an hour: the session it vouches for must not be offered later, even
    // though session lifetimes are longer.
    pki::CertificateRequest ca = pki::ca_request("short-lived root");
    ca.validity = pki::Validity::relative_to_now(std::chrono::hours(-1), std::chrono::hours(1));
    auto root = pki::make_self_signed(ca);
    ASSERT_TRUE(root);
    auto leaf = pki::issue(pki::server_request("broker.test", {"broker.test"}), *root);
    ASSERT_TRUE(leaf);
    Server broker(server_options(*leaf));
    const ConfigOptions device = client_options(root->certificate_pem);
    const SessionKey key = key_of(11);
    const Connection fresh = connect(broker, device, "broker.test", {}, key);
    ASSERT_TRUE(fresh.outcome.both_done());
    auto header = detail::peek_sealed_header(view(fresh.sealed));
    ASSERT_TRUE(header);
    EXPECT_LE(header->lifetime_s, 3600U);
    EXPECT_GT(header->lifetime_s, 3500U);
}

TEST(TlsResumption, BlobFromAnotherPinSetIsNotOffered) {
    Server broker(server_options(test_pki().server));
    const SessionKey key = key_of(12);
    const Connection fresh = connect(broker, device_options(), "broker.test", {}, key);
    ASSERT_TRUE(fresh.outcome.both_done());
    ConfigOptions pinned = device_options();
    auto pin = pki::spki_sha256_hex(test_pki().server.certificate_pem);
    ASSERT_TRUE(pin);
    auto parsed = parse_spki_pin(*pin);
    ASSERT_TRUE(parsed);
    pinned.pinned_spki = {*parsed};
    const Connection other = connect(broker, pinned, "broker.test", fresh.sealed, key);
    ASSERT_FALSE(other.offer);
    EXPECT_EQ(other.offer.error().code, Errc::session_mismatch);
    EXPECT_FALSE(other.client_info.resumed);
}

TEST(TlsResumption, BlobFromAnotherTlsVersionIsNotOffered) {
    // A device whose setting changes between 1.2 and 1.3 must not offer the other version's
    // session (mbedTLS cannot even write a ClientHello for it): a full handshake instead.
    Server broker(server_options(test_pki().server));
    const SessionKey key = key_of(13);
    const Connection fresh = connect(broker, device_options(), "broker.test", {}, key);
    ASSERT_TRUE(fresh.outcome.both_done());
    ConfigOptions other_version = device_options();
    other_version.tls_version = testing::testing_tls13() ? TlsVersion::tls1_2 : TlsVersion::tls1_3;
    const Connection other = connect(broker, other_version, "broker.test", fresh.sealed, key);
    ASSERT_FALSE(other.offer);
    EXPECT_EQ(other.offer.error().code, Errc::session_mismatch);
    ASSERT_TRUE(other.outcome.both_done());
    EXPECT_FALSE(other.client_info.resumed);
    EXPECT_EQ(other.client_info.tls13, other_version.tls_version == TlsVersion::tls1_3);
}

TEST(TlsResumption, UnsetKeyIsRefused) {
    Server broker(server_options(test_pki().server));
    Config config;
    ASSERT_TRUE(config.setup(device_options()));
    Engine device(config);
    Engine server_side(broker.config);
    ASSERT_TRUE(device.start("broker.test"));
    ASSERT_TRUE(server_side.start(""));
    const std::vector<std::uint8_t> blob(200, 7);
    EXPECT_EQ(device.offer_session(view(blob), SessionKey{}).error().code, Errc::invalid_argument);
    ASSERT_TRUE(run_handshake(device, server_side).both_done());
    std::vector<std::uint8_t> out(max_sealed_session_size);
    EXPECT_EQ(device.save_session(SessionKey{}, view(out)).error().code, Errc::invalid_argument);
}

TEST(TlsResumption, MisuseIsRefused) {
    Config config;
    ASSERT_TRUE(config.setup(device_options()));
    Engine engine(config);
    std::vector<std::uint8_t> out(max_sealed_session_size);
    const std::vector<std::uint8_t> junk(200, 1);
    EXPECT_EQ(engine.offer_session(view(junk), key_of(1)).error().code, Errc::invalid_argument);
    ASSERT_TRUE(engine.start("broker.test"));
    EXPECT_EQ(engine.save_session(key_of(1), view(out)).error().code, Errc::invalid_argument);
    ASSERT_TRUE(engine.handshake());
    EXPECT_EQ(engine.offer_session(view(junk), key_of(1)).error().code, Errc::invalid_argument);

    Server broker(server_options(test_pki().server));
    Engine server_side(broker.config);
    ASSERT_TRUE(server_side.start(""));
    EXPECT_EQ(server_side.offer_session(view(junk), key_of(1)).error().code,
              Errc::invalid_argument);
}

TEST(TlsResumption, RamStoreKeepsOneBlob) {
    RamSessionStore store;
    std::vector<std::uint8_t> out(max_sealed_session_size);
    auto empty = store.load(view(out));
    ASSERT_TRUE(empty);
    EXPECT_EQ(*empty, 0U);
    const std::vector<std::uint8_t> blob(300, 0xAB);
    ASSERT_TRUE(store.save(view(blob)));
    auto loaded = store.load(view(out));
    ASSERT_TRUE(loaded);
    ASSERT_EQ(*loaded, blob.size());
    EXPECT_EQ(std::memcmp(out.data(), blob.data(), blob.size()), 0);
    std::vector<std::uint8_t> small(10);
    EXPECT_EQ(store.load(view(small)).error().code, Errc::message_too_large);
    const std::vector<std::uint8_t> huge(max_sealed_session_size + 1, 1);
    EXPECT_EQ(store.save(view(huge)).error().code, Errc::message_too_large);
    ASSERT_TRUE(store.erase());
    EXPECT_EQ(*store.load(view(out)), 0U);
}

}  // namespace
}  // namespace mqtls::tls
