// Host-only property tests: random valid packets survive encode -> decode -> encode unchanged,
// every proper prefix asks for more bytes, mutated vectors are either refused with a codec error
// or decode to something that re-encodes to exactly the bytes consumed, and the framer
// reassembles random streams in random chunks. Seeds are fixed so failures reproduce.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <iterator>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "codec_test_support.hpp"
#include "codec_vectors.hpp"
#include "mqtls/mqtt/codec.hpp"
#include "mqtls/mqtt/framer.hpp"
#include "mqtls/mqtt/packet_equality.hpp"
#include "mqtls/mqtt/server_decode.hpp"

namespace mqtls::mqtt::test {
namespace {

constexpr DecodeLimits generous{1u << 24};

std::vector<std::uint8_t> encode_to_vector(const Packet& packet) {
    const auto size = encoded_size_any(packet);
    if (!size) return {};
    std::vector<std::uint8_t> out(*size);
    const auto written = encode_any(packet, mutable_bytes(out.data(), out.size()));
    if (!written || *written != out.size()) return {};
    return out;
}

// --- Every hand-derived vector, as a parameterised suite ------------------------------------

class VectorRoundTrip : public ::testing::TestWithParam<const WireVector*> {};

TEST_P(VectorRoundTrip, DecodesToThePacketAndEncodesBack) {
    const WireVector& vector = *GetParam();
    const auto decoded = server::decode(vector.wire, DecodeLimits{});
    ASSERT_TRUE(decoded.has_value()) << name(error_code_of(decoded));
    EXPECT_TRUE(decoded->packet == vector.packet);
    EXPECT_EQ(decoded->consumed, vector.wire.size());

    const auto reencoded = encode_to_vector(decoded->packet);
    EXPECT_TRUE(equal_bytes(bytes_view(reencoded.data(), reencoded.size()), vector.wire));
}

std::string vector_test_name(const ::testing::TestParamInfo<const WireVector*>& info) {
    std::string result;
    bool upper = true;
    for (const char c : std::string_view(info.param->name)) {
        const bool alnum =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!alnum) {
            upper = true;
            continue;
        }
        result += upper && c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
        upper = false;
    }
    return result + "_" + std::to_string(info.index);
}

std::vector<const WireVector*> vector_list() {
    const auto all = all_vectors();
    return {all.begin(), all.end()};
}

INSTANTIATE_TEST_SUITE_P(AllVectors, VectorRoundTrip, ::testing::ValuesIn(vector_list()),
                         vector_test_name);

// --- Random valid packets -------------------------------------------------------------------

/// Owns the bytes that generated packets view. Deques never move their elements, so views into
/// earlier strings stay valid as more are added.
struct Storage {
    std::deque<std::string> strings;
    std::deque<std::vector<std::uint8_t>> blobs;
    std::deque<std::vector<Subscription>> subscriptions;
    std::deque<std::vector<std::string_view>> filters;
};

class PacketGenerator {
public:
    PacketGenerator(std::uint32_t seed, Storage& storage) : rng_(seed), storage_(storage) {}

    int uniform(int low, int high) { return std::uniform_int_distribution<int>(low, high)(rng_); }
    bool coin() { return uniform(0, 1) == 1; }

    /// A level of a topic: valid UTF-8 of 1- to 4-byte characters, possibly empty, never a
    /// wildcard or a separator.
    void append_word(std::string& out, int max_chars) {
        static const char* const pieces[] = {"a",
                                             "b",
                                             "z",
                                             "0",
                                             "9",
                                             "_",
                                             "-",
                                             " ",
                                             "$",
                                             "\xC3\xA9",
                                             "\xE2\x82\xAC",
                                             "\xF0\x9F\x98\x80",
                                             "\xEF\xBF\xBF",
                                             "\x7F"};
        const int chars = uniform(0, max_chars);
        for (int i = 0; i < chars; ++i) {
            out += pieces[uniform(0, static_cast<int>(std::size(pieces)) - 1)];
        }
    }

    std::string_view keep(std::string text_value) {
        storage_.strings.push_back(std::move(text_value));
        return storage_.strings.back();
    }

    std::string_view any_string(int max_chars) {
        std::string out;
        append_word(out, max_chars);
        if (coin()) {
            out += '/';
            append_word(out, max_chars);
        }
        return keep(std::move(out));
    }

    std::string_view topic_name() {
        std::string out;
        const int levels = uniform(1, 4);
        for (int level = 0; level < levels; ++level) {
            if (level > 0) out += '/';
            append_word(out, 6);
        }
        if (out.empty()) out = "t";
        return keep(std::move(out));
    }

    std::string_view topic_filter() {
        std::string out;
        const int levels = uniform(1, 4);
        for (int level = 0; level < levels; ++level) {
            if (level > 0) out += '/';
            if (uniform(0, 3) == 0) {
                out += '+';
            } else {
                append_word(out, 5);
            }
        }
        if (uniform(0, 3) == 0) out += out.empty() ? "#" : "/#";
        if (out.empty()) out = "f";
        return keep(std::move(out));
    }

    bytes_view blob(int max_size) {
        std::vector<std::uint8_t> bytes(static_cast<std::size_t>(uniform(0, max_size)));
        for (auto& b : bytes) b = static_cast<std::uint8_t>(uniform(0, 255));
        storage_.blobs.push_back(std::move(bytes));
        return bytes_view(storage_.blobs.back().data(), storage_.blobs.back().size());
    }

    QoS qos() { return static_cast<QoS>(uniform(0, 2)); }
    PacketId packet_id() { return static_cast<PacketId>(uniform(1, 65535)); }

    Packet packet(PacketType type) {
        switch (type) {
            case PacketType::connect: {
                Connect connect;
                connect.client_id = any_string(8);
                connect.clean_session = connect.client_id.empty() || coin();
                connect.keep_alive_s = static_cast<std::uint16_t>(uniform(0, 65535));
                if (coin()) connect.will = Will{topic_name(), blob(40), qos(), coin()};
                if (coin()) {
                    connect.username = any_string(6);
                    if (coin()) connect.password = blob(20);
                }
                return connect;
            }
            case PacketType::connack: {
                const auto code = static_cast<ConnectReturnCode>(uniform(0, 5));
                return ConnAck{code == ConnectReturnCode::accepted && coin(), code};
            }
            case PacketType::publish: {
                Publish publish;
                publish.topic = topic_name();
                // Mostly small, sometimes past the one- and two-byte remaining length forms.
                const int roll = uniform(0, 9);
                publish.payload = blob(roll == 0 ? 20'000 : roll == 1 ? 400 : 40);
                publish.qos = qos();
                publish.retain = coin();
                if (publish.qos != QoS::at_most_once) {
                    publish.dup = coin();
                    publish.packet_id = packet_id();
                }
                return publish;
            }
            case PacketType::puback:
                return PubAck{packet_id()};
            case PacketType::pubrec:
                return PubRec{packet_id()};
            case PacketType::pubrel:
                return PubRel{packet_id()};
            case PacketType::pubcomp:
                return PubComp{packet_id()};
            case PacketType::subscribe: {
                std::vector<Subscription> entries(static_cast<std::size_t>(uniform(1, 5)));
                for (auto& entry : entries) entry = Subscription{topic_filter(), qos()};
                storage_.subscriptions.push_back(std::move(entries));
                const auto& kept = storage_.subscriptions.back();
                return Subscribe{packet_id(), SubscriptionList(span<const Subscription>(
                                                  kept.data(), kept.size()))};
            }
            case PacketType::suback: {
                static const std::uint8_t codes[] = {0x00, 0x01, 0x02, suback_failure};
                std::vector<std::uint8_t> bytes(static_cast<std::size_t>(uniform(1, 6)));
                for (auto& b : bytes) b = codes[uniform(0, 3)];
                storage_.blobs.push_back(std::move(bytes));
                const auto& kept = storage_.blobs.back();
                return SubAck{packet_id(), bytes_view(kept.data(), kept.size())};
            }
            case PacketType::unsubscribe: {
                std::vector<std::string_view> entries(static_cast<std::size_t>(uniform(1, 5)));
                for (auto& entry : entries) entry = topic_filter();
                storage_.filters.push_back(std::move(entries));
                const auto& kept = storage_.filters.back();
                return Unsubscribe{packet_id(), FilterList(span<const std::string_view>(
                                                    kept.data(), kept.size()))};
            }
            case PacketType::unsuback:
                return UnsubAck{packet_id()};
            case PacketType::pingreq:
                return PingReq{};
            case PacketType::pingresp:
                return PingResp{};
            case PacketType::disconnect:
                return Disconnect{};
            case PacketType::auth:
                break;  // MQTT 5 only: any_packet() draws the 3.1.1 types 1..14
        }
        return Disconnect{};
    }

    Packet any_packet() { return packet(static_cast<PacketType>(uniform(1, 14))); }

    std::mt19937& rng() { return rng_; }

private:
    std::mt19937 rng_;
    Storage& storage_;
};

void expect_round_trip(const Packet& packet, std::uint32_t seed) {
    const auto size = encoded_size_any(packet);
    ASSERT_TRUE(size.has_value()) << "seed " << seed << ": " << name(error_code_of(size)) << " for "
                                  << packet_type_name(packet_type(packet));
    std::vector<std::uint8_t> wire(*size);
    const auto written = encode_any(packet, mutable_bytes(wire.data(), wire.size()));
    ASSERT_TRUE(written.has_value()) << "seed " << seed;
    ASSERT_EQ(*written, *size) << "seed " << seed;

    const bytes_view view(wire.data(), wire.size());
    const auto decoded = server::decode(view, generous);
    ASSERT_TRUE(decoded.has_value()) << "seed " << seed << ": " << name(error_code_of(decoded))
                                     << " for " << packet_type_name(packet_type(packet));
    EXPECT_EQ(decoded->consumed, wire.size()) << "seed " << seed;
    EXPECT_TRUE(decoded->packet == packet)
        << "seed " << seed << " " << packet_type_name(packet_type(packet));

    const auto reencoded = encode_to_vector(decoded->packet);
    EXPECT_EQ(reencoded, wire) << "seed " << seed;

    // Every proper prefix (sampled for large packets) is incomplete, never malformed.
    const std::size_t step = wire.size() > 600 ? wire.size() / 97 + 1 : 1;
    for (std::size_t length = 0; length < wire.size(); length += step) {
        EXPECT_EQ(decode_error(view.first(length), generous), Errc::need_more)
            << "seed " << seed << " prefix " << length << " of " << wire.size();
    }
    EXPECT_EQ(decode_error(view.first(wire.size() - 1), generous), Errc::need_more);

    if (const auto* publish = std::get_if<Publish>(&packet)) {
        std::vector<std::uint8_t> header(max_fixed_header_size + 2 + 65535 + 2);
        const auto header_size =
            encode_publish_header(*publish, mutable_bytes(header.data(), header.size()));
        ASSERT_TRUE(header_size.has_value()) << "seed " << seed;
        header.resize(*header_size);
        header.insert(header.end(), publish->payload.begin(), publish->payload.end());
        EXPECT_EQ(header, wire) << "seed " << seed;
    }
}

TEST(RandomRoundTrip, EveryPacketTypeSurvivesEncodeDecodeEncode) {
    for (std::uint32_t seed = 1; seed <= 300; ++seed) {
        Storage storage;
        PacketGenerator generator(seed, storage);
        for (unsigned type = 1; type <= 14; ++type) {
            const Packet packet = generator.packet(static_cast<PacketType>(type));
            expect_round_trip(packet, seed);
            if (::testing::Test::HasFatalFailure()) return;
        }
    }
}

// --- Mutated vectors ------------------------------------------------------------------------

std::vector<std::uint8_t> mutate(bytes_view original, std::mt19937& rng) {
    std::vector<std::uint8_t> bytes(original.begin(), original.end());
    auto pick = [&rng](std::size_t bound) {
        return std::uniform_int_distribution<std::size_t>(0, bound - 1)(rng);
    };
    const int edits = static_cast<int>(pick(3)) + 1;
    for (int edit = 0; edit < edits && !bytes.empty(); ++edit) {
        switch (pick(6)) {
            case 0:
                bytes[pick(bytes.size())] ^= static_cast<std::uint8_t>(1u << pick(8));
                break;
            case 1:
                bytes[pick(bytes.size())] = static_cast<std::uint8_t>(pick(256));
                break;
            case 2:
                bytes.resize(pick(bytes.size() + 1));
                break;
            case 3:
                bytes.insert(bytes.begin() + static_cast<std::ptrdiff_t>(pick(bytes.size() + 1)),
                             static_cast<std::uint8_t>(pick(256)));
                break;
            case 4:
                bytes.erase(bytes.begin() + static_cast<std::ptrdiff_t>(pick(bytes.size())));
                break;
            default:
                // Edit the low remaining-length byte, keeping the body: length/contents skew.
                if (bytes.size() > 1) bytes[1] = static_cast<std::uint8_t>(pick(128));
                break;
        }
    }
    return bytes;
}

/// A client never encodes this (MQTT-3.1.3-7), but a server may receive it and must answer with
/// a CONNACK refusal rather than treat the bytes as malformed, so decode may accept it.
bool is_connect_a_client_may_not_send(const Packet& packet) {
    const auto* connect = std::get_if<Connect>(&packet);
    return connect != nullptr && connect->client_id.empty() && !connect->clean_session;
}

TEST(MutatedVectors, RefusedWithCodecErrorOrReencodeExactly) {
    std::mt19937 rng(20'241'029);
    std::size_t accepted = 0;
    std::size_t refused = 0;
    for (const WireVector* vector : all_vectors()) {
        for (int round = 0; round < 1500; ++round) {
            // An exact-size heap copy, so reading past the input is caught by the sanitizers.
            const std::vector<std::uint8_t> bytes = mutate(vector->wire, rng);
            const bytes_view view(bytes.data(), bytes.size());
            const auto decoded = server::decode(view, generous);
            if (!decoded) {
                ++refused;
                EXPECT_EQ(error_class(decoded.error().code), ErrorClass::codec)
                    << vector->name << ": " << name(decoded.error().code);
                continue;
            }
            ++accepted;
            ASSERT_LE(decoded->consumed, bytes.size()) << vector->name;
            if (is_connect_a_client_may_not_send(decoded->packet)) continue;
            // A strict decoder accepts only the canonical encoding of a packet, so encoding what
            // it accepted gives back exactly the bytes it consumed. A lenient decode (ignored
            // reserved bits, an inconsistent flag) shows up here as a difference.
            const auto reencoded = encode_to_vector(decoded->packet);
            const std::vector<std::uint8_t> consumed(
                bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(decoded->consumed));
            EXPECT_EQ(reencoded, consumed) << vector->name << " mutation round " << round;
        }
    }
    // Both outcomes must actually occur, or the mutations are not exercising anything.
    EXPECT_GT(accepted, 100u);
    EXPECT_GT(refused, 100u);
}

TEST(MutatedVectors, RandomBytesNeverCrashAndFailOnlyWithCodecErrors) {
    std::mt19937 rng(7);
    for (int round = 0; round < 20'000; ++round) {
        std::vector<std::uint8_t> bytes(std::uniform_int_distribution<std::size_t>(0, 40)(rng));
        for (auto& b : bytes) b = static_cast<std::uint8_t>(rng());
        const auto decoded = decode(bytes_view(bytes.data(), bytes.size()), DecodeLimits{});
        if (!decoded) {
            EXPECT_EQ(error_class(decoded.error().code), ErrorClass::codec);
        } else {
            EXPECT_LE(decoded->consumed, bytes.size());
        }
    }
}

// --- Framer over random streams -------------------------------------------------------------

TEST(RandomFramer, ReassemblesRandomPacketsInRandomChunks) {
    for (std::uint32_t seed = 1; seed <= 40; ++seed) {
        Storage storage;
        PacketGenerator generator(seed, storage);
        std::vector<std::vector<std::uint8_t>> packets;
        std::vector<std::uint8_t> stream;
        for (int i = 0; i < 30; ++i) {
            auto wire = encode_to_vector(generator.any_packet());
            ASSERT_FALSE(wire.empty()) << "seed " << seed;
            stream.insert(stream.end(), wire.begin(), wire.end());
            packets.push_back(std::move(wire));
        }

        // Small chunks end inside packets and headers; large ones span several packets.
        static const std::size_t max_chunks[] = {2, 7, 40, 700};
        const std::size_t max_chunk = max_chunks[seed % std::size(max_chunks)];
        std::vector<std::uint8_t> buffer(32 * 1024);
        Framer framer(mutable_bytes(buffer.data(), buffer.size()), DecodeLimits{buffer.size()});
        std::size_t position = 0;
        std::size_t frame_index = 0;
        std::size_t feeds = 0;
        while (position < stream.size()) {
            ASSERT_LT(++feeds, 1'000'000u);
            const std::size_t chunk = std::min<std::size_t>(
                stream.size() - position,
                std::uniform_int_distribution<std::size_t>(1, max_chunk)(generator.rng()));
            const auto taken = framer.feed(bytes_view(stream.data() + position, chunk));
            ASSERT_TRUE(taken.has_value()) << "seed " << seed << ": " << name(error_code_of(taken));
            position += *taken;
            if (!framer.frame_ready()) continue;
            ASSERT_LT(frame_index, packets.size());
            const auto& want = packets[frame_index];
            EXPECT_TRUE(equal_bytes(framer.frame(), bytes_view(want.data(), want.size())))
                << "seed " << seed << " frame " << frame_index;
            // decode_frame() is the client's decode(), which leaves what only a server receives
            // to server::decode().
            const auto decoded = is_server_bound(framer.frame())
                                     ? server::decode(framer.frame(), DecodeLimits{buffer.size()})
                                     : framer.decode_frame();
            EXPECT_TRUE(decoded.has_value()) << "seed " << seed;
            framer.release();
            ++frame_index;
        }
        EXPECT_EQ(frame_index, packets.size()) << "seed " << seed;
    }
}

}  // namespace
}  // namespace mqtls::mqtt::test
