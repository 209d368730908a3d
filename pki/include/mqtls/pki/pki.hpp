#pragma once
/// @file
/// The whole host-only pki layer: keys (keys.hpp), certificates (certificate.hpp) and PEM files
/// (files.hpp).

#include "mqtls/pki/certificate.hpp"
#include "mqtls/pki/files.hpp"
#include "mqtls/pki/keys.hpp"
