#pragma once
/// @file
/// The `mqtt` layer in one include: packets, codec, framer, topics and the client session.
#include "mqtls/mqtt/codec.hpp"
#include "mqtls/mqtt/framer.hpp"
#include "mqtls/mqtt/packets.hpp"
#include "mqtls/mqtt/session.hpp"
#include "mqtls/mqtt/topic.hpp"
