#pragma once
/// @file
/// The whole host-only pki layer: keys (keys.hpp), certificates (certificate.hpp), certificates
/// for requested keys (signing_request.hpp), validity next to the CA's (lifetime.hpp), reading
/// certificates back (inspection.hpp), device ids (device_id.hpp), PEM files (files.hpp), and
/// revocation: CRLs (crl.hpp) made from the PKI folder's record (revocation_index.hpp).

#include "mqtls/pki/certificate.hpp"
#include "mqtls/pki/crl.hpp"
#include "mqtls/pki/device_id.hpp"
#include "mqtls/pki/files.hpp"
#include "mqtls/pki/inspection.hpp"
#include "mqtls/pki/keys.hpp"
#include "mqtls/pki/lifetime.hpp"
#include "mqtls/pki/revocation.hpp"
#include "mqtls/pki/revocation_index.hpp"
#include "mqtls/pki/signing_request.hpp"
