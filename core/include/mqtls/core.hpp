#pragma once
/// @file
/// The `core` layer in one include: views, results, errors and time.
#include "mqtls/core/assert.hpp"
#include "mqtls/core/error.hpp"
#include "mqtls/core/result.hpp"
#include "mqtls/core/span.hpp"
#include "mqtls/core/time.hpp"
