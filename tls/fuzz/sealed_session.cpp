// Fuzz target: what a client does with a stored session blob (Engine::offer_session). Whatever
// the bytes, it must either refuse them with session_invalid, session_mismatch or
// session_expired, or accept them only when they were sealed under our key; and after a
// refusal the Engine must still start a (full) handshake. Three modes, by the first byte:
//   0: the rest is the stored blob, as read from a file or RTC memory (forgery: must fail);
//   1: the rest is sealed under our key and bound to our broker first, so the fuzzer reaches
//      mbedtls_ssl_session_load() and our checks of what it loaded (a compromised key, or a
//      bug in our own saving);
//   2: a real session from an in-memory handshake, with the rest written over it at the
//      offset the next two bytes give (little-endian), then sealed as in mode 1.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <memory>
#include <vector>

#include "../../mqtt/fuzz/fuzz_check.hpp"
#include "config_impl.hpp"
#include "mqtls/pki/certificate.hpp"
#include "mqtls/tls/config.hpp"
#include "mqtls/tls/engine.hpp"
#include "session_seal.hpp"

namespace {

using namespace mqtls;
using namespace mqtls::tls;

constexpr const char* broker_name = "broker.fuzz";

std::int64_t real_time(void*) { return static_cast<std::int64_t>(std::time(nullptr)); }

struct World {
    pki::Issued root;
    pki::Issued server;
    Config client;
    Config server_config;
    SessionKey key;
    std::vector<std::uint8_t> real_session;  // mbedtls_ssl_session_save() of a real session
};

World* make_world() {
    auto* world = new World();
    auto root = pki::make_self_signed(pki::ca_request("fuzz root"));
    MQTLS_FUZZ_CHECK(root);
    world->root = *root;
    auto server = pki::issue(pki::server_request(broker_name, {broker_name}), world->root);
    MQTLS_FUZZ_CHECK(server);
    world->server = *server;

    ConfigOptions client;
    client.trusted_roots_pem = world->root.certificate_pem;
    client.wall_clock = WallClock{&real_time, nullptr};
    MQTLS_FUZZ_CHECK(world->client.setup(client));
    ConfigOptions server_options;
    server_options.role = Role::server;
    server_options.certificate_pem = world->server.certificate_pem;
    server_options.private_key_pem = world->server.private_key_pem;
    server_options.wall_clock = client.wall_clock;
    MQTLS_FUZZ_CHECK(world->server_config.setup(server_options));
    world->key.bytes.fill(0x42);

    // One real handshake, in memory, for a realistic session to mutate.
    Engine device(world->client);
    Engine broker(world->server_config);
    MQTLS_FUZZ_CHECK(device.start(broker_name));
    MQTLS_FUZZ_CHECK(broker.start(""));
    for (int round = 0; round < 20 && !(device.handshake_done() && broker.handshake_done());
         ++round) {
        MQTLS_FUZZ_CHECK(device.handshake());
        device.consume_ciphertext(broker.feed_ciphertext(device.pending_ciphertext()));
        MQTLS_FUZZ_CHECK(broker.handshake());
        broker.consume_ciphertext(device.feed_ciphertext(broker.pending_ciphertext()));
    }
    MQTLS_FUZZ_CHECK(device.handshake_done());
    std::vector<std::uint8_t> sealed(max_sealed_session_size);
    auto size = device.save_session(world->key, mutable_bytes(sealed.data(), sealed.size()));
    MQTLS_FUZZ_CHECK(size);
    world->real_session.resize(*size - detail::sealed_overhead);
    auto opened = detail::open_sealed_session(
        world->key, bytes_view(sealed.data(), *size),
        mutable_bytes(world->real_session.data(), world->real_session.size()));
    MQTLS_FUZZ_CHECK(opened);
    return world;
}

World& world() {
    static World* instance = make_world();
    return *instance;
}

// Seals `session` the way save_session() would for our broker, now, for a day.
std::vector<std::uint8_t> seal_for_us(const std::uint8_t* session, std::size_t size) {
    detail::SealedHeader header;
    header.created = real_time(nullptr);
    header.lifetime_s = default_session_lifetime_s;
    auto binding = detail::session_binding(broker_name, world().client.impl().identity_digest);
    MQTLS_FUZZ_CHECK(binding);
    header.binding = *binding;
    std::vector<std::uint8_t> sealed(max_sealed_session_size);
    auto sealed_size =
        detail::seal_session(world().key, header, detail::Nonce{}, bytes_view(session, size),
                             mutable_bytes(sealed.data(), sealed.size()));
    if (!sealed_size) return {};  // too large to be a sealed session at all
    sealed.resize(*sealed_size);
    return sealed;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::uint8_t mode = data[0] % 3;
    ++data;
    --size;
    std::vector<std::uint8_t> blob;
    if (mode == 0) {
        blob.assign(data, data + size);
    } else if (mode == 1) {
        blob = seal_for_us(data, size);
    } else {
        std::vector<std::uint8_t> session = world().real_session;
        std::size_t offset = 0;
        if (size >= 2) {
            offset = static_cast<std::size_t>(data[0] | (data[1] << 8)) % (session.size() + 1);
            data += 2;
            size -= 2;
        }
        if (offset + size > session.size()) session.resize(offset + size);
        if (size > 0) std::memcpy(session.data() + offset, data, size);
        blob = seal_for_us(session.data(), session.size());
    }

    Engine engine(world().client);
    MQTLS_FUZZ_CHECK(engine.start(broker_name));
    auto offered = engine.offer_session(bytes_view(blob.data(), blob.size()), world().key);
    if (mode == 0) {
        MQTLS_FUZZ_CHECK(!offered);  // nobody without the key can make an acceptable blob
    }
    if (!offered) {
        const Errc code = offered.error().code;
        MQTLS_FUZZ_CHECK(code == Errc::session_invalid || code == Errc::session_mismatch ||
                         code == Errc::session_expired || code == Errc::tls_setup_failed);
    }
    // Offered or not, the connection goes on: the ClientHello is written.
    auto started = engine.handshake();
    MQTLS_FUZZ_CHECK(started && !*started);
    MQTLS_FUZZ_CHECK(!engine.pending_ciphertext().empty());
    return 0;
}
