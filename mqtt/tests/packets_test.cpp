// The packet structs: type mapping, names, entry lists and value equality.
#include <cstdint>
#include <string_view>

#include "codec_test_support.hpp"
#include "codec_vectors.hpp"
#include "mqtls/mqtt/packet_equality.hpp"
#include "mqtls/mqtt/packets.hpp"
#include "mqtls/mqtt/server_decode.hpp"

namespace mqtls::mqtt::test {
namespace {

TEST(Packets, VariantOrderFollowsPacketTypeValues) {
    EXPECT_EQ(packet_type(Packet{Connect{}}), PacketType::connect);
    EXPECT_EQ(packet_type(Packet{ConnAck{}}), PacketType::connack);
    EXPECT_EQ(packet_type(Packet{Publish{}}), PacketType::publish);
    EXPECT_EQ(packet_type(Packet{PubAck{}}), PacketType::puback);
    EXPECT_EQ(packet_type(Packet{PubRec{}}), PacketType::pubrec);
    EXPECT_EQ(packet_type(Packet{PubRel{}}), PacketType::pubrel);
    EXPECT_EQ(packet_type(Packet{PubComp{}}), PacketType::pubcomp);
    EXPECT_EQ(packet_type(Packet{Subscribe{}}), PacketType::subscribe);
    EXPECT_EQ(packet_type(Packet{SubAck{}}), PacketType::suback);
    EXPECT_EQ(packet_type(Packet{Unsubscribe{}}), PacketType::unsubscribe);
    EXPECT_EQ(packet_type(Packet{UnsubAck{}}), PacketType::unsuback);
    EXPECT_EQ(packet_type(Packet{PingReq{}}), PacketType::pingreq);
    EXPECT_EQ(packet_type(Packet{PingResp{}}), PacketType::pingresp);
    EXPECT_EQ(packet_type(Packet{Disconnect{}}), PacketType::disconnect);
    // Table 2.1 values.
    EXPECT_EQ(static_cast<int>(PacketType::publish), 3);
    EXPECT_EQ(static_cast<int>(PacketType::disconnect), 14);
}

TEST(Packets, TypeNamesAreTheSpecNames) {
    const std::string_view expected[] = {
        "CONNECT",   "CONNACK", "PUBLISH",     "PUBACK",   "PUBREC",  "PUBREL",   "PUBCOMP",
        "SUBSCRIBE", "SUBACK",  "UNSUBSCRIBE", "UNSUBACK", "PINGREQ", "PINGRESP", "DISCONNECT"};
    for (unsigned type = 1; type <= 14; ++type) {
        const char* type_name = packet_type_name(static_cast<PacketType>(type));
        ASSERT_TRUE(type_name != nullptr) << type;
        EXPECT_EQ(std::string_view(type_name), expected[type - 1]) << type;
    }
}

TEST(Packets, ConnectReturnCodeMessagesAreDistinct) {
    for (unsigned a = 0; a <= 5; ++a) {
        const char* message_a = connect_return_code_message(static_cast<ConnectReturnCode>(a));
        ASSERT_TRUE(message_a != nullptr) << a;
        EXPECT_FALSE(std::string_view(message_a).empty()) << a;
        for (unsigned b = 0; b < a; ++b) {
            const char* message_b = connect_return_code_message(static_cast<ConnectReturnCode>(b));
            EXPECT_NE(std::string_view(message_a), std::string_view(message_b)) << a << " " << b;
        }
    }
}

TEST(Packets, EntryListFromWireYieldsEveryEntry) {
    // Layout (3.8.3): length, filter, QoS byte; the list walks it without further checks.
    const std::uint8_t wire[] = {0x00, 0x02, 'a',  'b', 0x01, 0x00, 0x00,
                                 0x02, 0x00, 0x03, 'x', '/',  '#',  0x02};
    const auto list = SubscriptionList::from_wire(bytes_view(wire), 3);
    EXPECT_EQ(list.size(), 3u);
    EXPECT_FALSE(list.empty());
    const std::string_view filters[] = {"ab", "", "x/#"};
    const int qos[] = {1, 2, 2};
    std::size_t index = 0;
    for (const Subscription entry : list) {
        ASSERT_LT(index, 3u);
        EXPECT_EQ(entry.filter, filters[index]) << index;
        EXPECT_EQ(static_cast<int>(entry.qos), qos[index]) << index;
        ++index;
    }
    EXPECT_EQ(index, 3u);
}

TEST(Packets, FilterListFromCallerArray) {
    const std::string_view filters[] = {"a", "b/+"};
    const FilterList list{span<const std::string_view>(filters)};
    EXPECT_EQ(list.size(), 2u);
    std::size_t index = 0;
    for (const std::string_view filter : list) {
        ASSERT_LT(index, 2u);
        EXPECT_EQ(filter, filters[index]);
        ++index;
    }
    EXPECT_EQ(index, 2u);
    EXPECT_TRUE(FilterList().empty());
}

TEST(PacketEquality, ViewsCompareByContent) {
    static const char first_copy[] = "a/b";
    static const char second_copy[] = "a/b";
    Publish a;
    a.topic = std::string_view(first_copy, 3);
    a.payload = bytes_of("hi");
    Publish b = a;
    b.topic = std::string_view(second_copy, 3);
    EXPECT_TRUE(a == b);
    EXPECT_FALSE(a != b);

    b.payload = bytes_of("ho");
    EXPECT_FALSE(a == b);
    EXPECT_TRUE(a != b);
}

TEST(PacketEquality, PublishFieldsAllMatter) {
    Publish base;
    base.topic = "t";
    base.qos = QoS::at_least_once;
    base.packet_id = 1;

    Publish other = base;
    other.qos = QoS::exactly_once;
    EXPECT_FALSE(base == other);
    other = base;
    other.retain = true;
    EXPECT_FALSE(base == other);
    other = base;
    other.dup = true;
    EXPECT_FALSE(base == other);
    other = base;
    other.packet_id = 2;
    EXPECT_FALSE(base == other);
    other = base;
    other.topic = "u";
    EXPECT_FALSE(base == other);
    EXPECT_TRUE(base == base);
}

TEST(PacketEquality, ConnectOptionalFields) {
    const auto* username_only = std::get_if<Connect>(&vectors::connect_username_only.packet);
    ASSERT_TRUE(username_only != nullptr);
    const Connect& with_username = *username_only;
    Connect with_empty_password = with_username;
    with_empty_password.password = bytes_view();
    // An absent password and an empty one are different packets on the wire (flag 0x40).
    EXPECT_FALSE(with_username == with_empty_password);

    Connect without_username = with_username;
    without_username.username.reset();
    EXPECT_FALSE(with_username == without_username);

    Connect with_will = with_username;
    with_will.will = Will{"w", bytes_view(), QoS::at_most_once, false};
    EXPECT_FALSE(with_username == with_will);
    Connect with_other_will = with_will;
    with_other_will.will->retain = true;
    EXPECT_FALSE(with_will == with_other_will);

    Connect different_keepalive = with_username;
    different_keepalive.keep_alive_s = 11;
    EXPECT_FALSE(with_username == different_keepalive);
    EXPECT_TRUE(with_username == with_username);
}

TEST(PacketEquality, SubscribeFromArrayEqualsSubscribeFromWire) {
    // Round trips compare a caller-built packet with a decoded one; the two list representations
    // must compare by their entries.
    const auto decoded = server::decode(vectors::subscribe_three_filters.wire, DecodeLimits{});
    ASSERT_TRUE(decoded.has_value());
    const auto* from_wire = std::get_if<Subscribe>(&decoded->packet);
    const auto* from_array = std::get_if<Subscribe>(&vectors::subscribe_three_filters.packet);
    ASSERT_TRUE(from_wire != nullptr);
    ASSERT_TRUE(from_array != nullptr);
    EXPECT_TRUE(*from_wire == *from_array);
    EXPECT_TRUE(*from_array == *from_wire);

    const Subscription fewer[] = {{"a/+/c", QoS::at_most_once}, {"sport/#", QoS::at_least_once}};
    const Subscribe shorter{2, SubscriptionList(span<const Subscription>(fewer))};
    EXPECT_FALSE(*from_wire == shorter);

    const Subscription other_qos[] = {
        {"a/+/c", QoS::at_most_once}, {"sport/#", QoS::at_least_once}, {"#", QoS::at_least_once}};
    const Subscribe different{2, SubscriptionList(span<const Subscription>(other_qos))};
    EXPECT_FALSE(*from_wire == different);
}

TEST(PacketEquality, UnsubscribeAndSubAck) {
    const auto decoded = server::decode(vectors::unsubscribe_two_filters.wire, DecodeLimits{});
    ASSERT_TRUE(decoded.has_value());
    const auto* from_wire = std::get_if<Unsubscribe>(&decoded->packet);
    const auto* from_array = std::get_if<Unsubscribe>(&vectors::unsubscribe_two_filters.packet);
    ASSERT_TRUE(from_wire != nullptr);
    ASSERT_TRUE(from_array != nullptr);
    EXPECT_TRUE(*from_wire == *from_array);
    const std::string_view other_filters[] = {"a/b", "c/+"};
    const Unsubscribe other{3, FilterList(span<const std::string_view>(other_filters))};
    EXPECT_FALSE(*from_wire == other);

    const std::uint8_t codes[] = {0x00, 0x80};
    const std::uint8_t other_codes[] = {0x00, 0x01};
    EXPECT_TRUE((SubAck{1, bytes_view(codes)}) == (SubAck{1, bytes_view(codes)}));
    EXPECT_FALSE((SubAck{1, bytes_view(codes)}) == (SubAck{1, bytes_view(other_codes)}));
    EXPECT_FALSE((SubAck{1, bytes_view(codes)}) == (SubAck{2, bytes_view(codes)}));
}

TEST(PacketEquality, AcknowledgementsCompareIdentifiers) {
    EXPECT_TRUE(PubAck{1} == PubAck{1});
    EXPECT_FALSE(PubAck{1} == PubAck{2});
    EXPECT_FALSE(PubRec{1} == PubRec{2});
    EXPECT_FALSE(PubRel{1} == PubRel{2});
    EXPECT_FALSE(PubComp{1} == PubComp{2});
    EXPECT_FALSE(UnsubAck{1} == UnsubAck{2});
    EXPECT_FALSE((ConnAck{true, ConnectReturnCode::accepted}) ==
                 (ConnAck{false, ConnectReturnCode::accepted}));
    EXPECT_TRUE(PingReq{} == PingReq{});
}

}  // namespace
}  // namespace mqtls::mqtt::test
