#pragma once
// Owning wrappers for mbedTLS contexts, so that every early `return error;` frees what was set up.

#include <cstddef>
#include <vector>

#include <mbedtls/bignum.h>
#include <mbedtls/pk.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/x509_crt.h>
#include <mbedtls/x509_csr.h>

namespace mqtls::pki::detail {

/// A `Context` initialised by `Init` on construction and released by `Release` on destruction.
/// Neither copyable nor movable: mbedTLS contexts may point into themselves.
template <class Context, void (*Init)(Context*), void (*Release)(Context*)>
class MbedtlsHandle {
public:
    MbedtlsHandle() noexcept { Init(&context_); }
    ~MbedtlsHandle() { Release(&context_); }
    MbedtlsHandle(const MbedtlsHandle&) = delete;
    MbedtlsHandle& operator=(const MbedtlsHandle&) = delete;
    MbedtlsHandle(MbedtlsHandle&&) = delete;
    MbedtlsHandle& operator=(MbedtlsHandle&&) = delete;

    Context* get() noexcept { return &context_; }
    const Context* get() const noexcept { return &context_; }
    Context& operator*() noexcept { return context_; }
    const Context& operator*() const noexcept { return context_; }
    Context* operator->() noexcept { return &context_; }
    const Context* operator->() const noexcept { return &context_; }

private:
    Context context_{};
};

using PkContext = MbedtlsHandle<mbedtls_pk_context, mbedtls_pk_init, mbedtls_pk_free>;
using CertificateChain =
    MbedtlsHandle<mbedtls_x509_crt, mbedtls_x509_crt_init, mbedtls_x509_crt_free>;
using CertificateWriter =
    MbedtlsHandle<mbedtls_x509write_cert, mbedtls_x509write_crt_init, mbedtls_x509write_crt_free>;
using SigningRequest =
    MbedtlsHandle<mbedtls_x509_csr, mbedtls_x509_csr_init, mbedtls_x509_csr_free>;
using BigNumber = MbedtlsHandle<mbedtls_mpi, mbedtls_mpi_init, mbedtls_mpi_free>;

/// A heap buffer for key material that is zeroed (mbedtls_platform_zeroize, which the optimiser
/// cannot remove) before it is freed.
class SecretBuffer {
public:
    explicit SecretBuffer(std::size_t size) : bytes_(size) {}
    ~SecretBuffer() { mbedtls_platform_zeroize(bytes_.data(), bytes_.size()); }
    SecretBuffer(const SecretBuffer&) = delete;
    SecretBuffer& operator=(const SecretBuffer&) = delete;
    // Moving hands the bytes over and leaves nothing behind to wipe. Move assignment would have
    // to wipe the bytes it replaces; nothing needs it.
    SecretBuffer(SecretBuffer&&) noexcept = default;
    SecretBuffer& operator=(SecretBuffer&&) = delete;

    unsigned char* data() noexcept { return bytes_.data(); }
    [[nodiscard]] std::size_t size() const noexcept { return bytes_.size(); }

private:
    std::vector<unsigned char> bytes_;
};

}  // namespace mqtls::pki::detail
