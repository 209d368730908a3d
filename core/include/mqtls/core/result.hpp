#pragma once
/// @file
/// `Result<T>`: a value or an `Error`, shaped like C++23 `std::expected<T, Error>` (has_value,
/// operator bool, value, error, value_or, operator*, operator->) so that it can become an alias
/// once the targets have C++23. Accessing the wrong alternative is a programming error and
/// aborts through MQTLS_ASSERT; nothing here throws.

#include <new>
#include <type_traits>
#include <utility>

#include "mqtls/core/assert.hpp"
#include "mqtls/core/error.hpp"

namespace mqtls {

template <class T>
class [[nodiscard]] Result {
    static_assert(!std::is_reference_v<T>, "Result<T&> is not supported; use a pointer");
    static_assert(!std::is_same_v<std::remove_cv_t<T>, Error>, "Result<Error> is ambiguous");

public:
    Result(const T& value) noexcept(std::is_nothrow_copy_constructible_v<T>)  // NOLINT
        : ok_(true) {
        new (&value_) T(value);
    }
    Result(T&& value) noexcept(std::is_nothrow_move_constructible_v<T>)  // NOLINT
        : ok_(true) {
        new (&value_) T(std::move(value));
    }
    Result(Error error) noexcept : ok_(false) { new (&error_) Error(error); }  // NOLINT
    Result(Errc code) noexcept : Result(Error{code}) {}                        // NOLINT

    Result(const Result& other) noexcept(std::is_nothrow_copy_constructible_v<T>) : ok_(other.ok_) {
        if (ok_) {
            new (&value_) T(other.value_);
        } else {
            new (&error_) Error(other.error_);
        }
    }
    Result(Result&& other) noexcept(std::is_nothrow_move_constructible_v<T>) : ok_(other.ok_) {
        if (ok_) {
            new (&value_) T(std::move(other.value_));
        } else {
            new (&error_) Error(other.error_);
        }
    }
    Result& operator=(const Result& other) {
        if (this != &other) {
            destroy();
            ok_ = other.ok_;
            if (ok_) {
                new (&value_) T(other.value_);
            } else {
                new (&error_) Error(other.error_);
            }
        }
        return *this;
    }
    Result& operator=(Result&& other) noexcept(std::is_nothrow_move_constructible_v<T>) {
        if (this != &other) {
            destroy();
            ok_ = other.ok_;
            if (ok_) {
                new (&value_) T(std::move(other.value_));
            } else {
                new (&error_) Error(other.error_);
            }
        }
        return *this;
    }
    ~Result() { destroy(); }

    [[nodiscard]] constexpr bool has_value() const noexcept { return ok_; }
    constexpr explicit operator bool() const noexcept { return ok_; }

    [[nodiscard]] T& value() & noexcept {
        MQTLS_ASSERT(ok_);
        return value_;
    }
    [[nodiscard]] const T& value() const& noexcept {
        MQTLS_ASSERT(ok_);
        return value_;
    }
    [[nodiscard]] T&& value() && noexcept {
        MQTLS_ASSERT(ok_);
        return std::move(value_);
    }
    [[nodiscard]] const Error& error() const noexcept {
        MQTLS_ASSERT(!ok_);
        return error_;
    }
    template <class U>
    [[nodiscard]] T value_or(U&& fallback) const& {
        return ok_ ? value_ : static_cast<T>(std::forward<U>(fallback));
    }

    /// For MQTLS_TRY and MQTLS_TRY_ASSIGN only, which test the result first: the asserting
    /// accessors would check it again, and on a microcontroller every such check is code (2.3
    /// KB of the MQTT library at -Os on Cortex-M4).
    [[nodiscard]] const Error& unchecked_error() const noexcept { return error_; }
    [[nodiscard]] T& unchecked_value() noexcept { return value_; }

    T& operator*() & noexcept { return value(); }
    const T& operator*() const& noexcept { return value(); }
    T* operator->() noexcept { return &value(); }
    const T* operator->() const noexcept { return &value(); }

private:
    void destroy() noexcept {
        if (ok_) {
            value_.~T();
        } else {
            error_.~Error();
        }
    }

    bool ok_;
    union {
        T value_;
        Error error_;
    };
};

/// Success without a value, or an Error.
template <>
class [[nodiscard]] Result<void> {
public:
    constexpr Result() noexcept = default;
    constexpr Result(Error error) noexcept : ok_(false), error_(error) {}  // NOLINT
    constexpr Result(Errc code) noexcept : Result(Error{code}) {}          // NOLINT

    [[nodiscard]] constexpr bool has_value() const noexcept { return ok_; }
    constexpr explicit operator bool() const noexcept { return ok_; }
    constexpr void value() const noexcept { MQTLS_ASSERT(ok_); }
    /// For MQTLS_TRY only, which tests the result first.
    [[nodiscard]] constexpr const Error& unchecked_error() const noexcept { return error_; }
    [[nodiscard]] constexpr const Error& error() const noexcept {
        MQTLS_ASSERT(!ok_);
        return error_;
    }

private:
    bool ok_ = true;
    Error error_{};
};

/// The success value of a Result<void>, for `return ok();`.
constexpr Result<void> ok() noexcept { return {}; }

}  // namespace mqtls

#define MQTLS_CONCAT_IMPL(a, b) a##b
#define MQTLS_CONCAT(a, b) MQTLS_CONCAT_IMPL(a, b)

/// Evaluates `expr` (a Result); on error, returns that error from the enclosing function.
#define MQTLS_TRY(expr)                                 \
    do {                                                \
        auto&& mqtls_try_result_ = (expr);              \
        if (!mqtls_try_result_) {                       \
            return mqtls_try_result_.unchecked_error(); \
        }                                               \
    } while (false)

/// `MQTLS_TRY_ASSIGN(auto x, f());` declares `x` from the value of f(), or returns its error.
#define MQTLS_TRY_ASSIGN(lhs, expr) \
    MQTLS_TRY_ASSIGN_IMPL(MQTLS_CONCAT(mqtls_try_, __LINE__), lhs, expr)
#define MQTLS_TRY_ASSIGN_IMPL(tmp, lhs, expr) \
    auto tmp = (expr);                        \
    if (!tmp) {                               \
        return tmp.unchecked_error();         \
    }                                         \
    lhs = std::move(tmp.unchecked_value())
