#include "programs.hpp"

#include <gtest/gtest.h>

#include "files.hpp"

namespace mqtls::cli_test {

Arguments concat(Arguments first, const Arguments& second) {
    first.insert(first.end(), second.begin(), second.end());
    return first;
}

Arguments mqtls(Arguments arguments) {
    arguments.insert(arguments.begin(), MQTLS_CLI_PATH);
    return arguments;
}

ProcessResult run_program(const Arguments& arguments, std::chrono::milliseconds timeout) {
    auto result = testing::run_process(arguments, timeout);
    EXPECT_TRUE(result) << "could not run " << (arguments.empty() ? "" : arguments.front());
    return result ? *result : ProcessResult{};
}

ProcessResult run_mqtls(Arguments arguments, std::chrono::milliseconds timeout) {
    return run_program(mqtls(std::move(arguments)), timeout);
}

std::string shell_quote(const std::string& argument) {
    std::string quoted = "'";
    for (const char c : argument) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return quoted + "'";
}

std::string shell_command(const Arguments& arguments) {
    std::string command = "exec";
    for (const std::string& argument : arguments) command += " " + shell_quote(argument);
    return command;
}

Redirects input_from(std::string input_path) {
    Redirects redirects;
    redirects.input = std::move(input_path);
    return redirects;
}

Redirects output_to(std::string output_path, std::string error_path) {
    Redirects redirects;
    redirects.output = std::move(output_path);
    redirects.error = std::move(error_path);
    return redirects;
}

Redirects error_to(std::string error_path) {
    Redirects redirects;
    redirects.error = std::move(error_path);
    return redirects;
}

ProcessResult run_redirected(const Arguments& arguments, const Redirects& redirects,
                             std::chrono::milliseconds timeout) {
    std::string script = "exec \"$@\"";
    if (!redirects.input.empty()) script += " <" + shell_quote(redirects.input);
    if (!redirects.output.empty()) script += " >" + shell_quote(redirects.output);
    if (!redirects.error.empty()) script += " 2>" + shell_quote(redirects.error);
    // "sh" is $0; the program and its arguments become "$@".
    return run_program(concat({"sh", "-c", script, "sh"}, arguments), timeout);
}

BackgroundRun::BackgroundRun(Arguments arguments, std::chrono::milliseconds timeout)
    : BackgroundJob<ProcessResult>([arguments = std::move(arguments), timeout] {
          return run_program(arguments, timeout);
      }) {}

BackgroundRun::BackgroundRun(Arguments arguments, Redirects redirects,
                             std::chrono::milliseconds timeout)
    // The job gets its own copy of the redirections: the member is set after the thread starts.
    : BackgroundJob<ProcessResult>([arguments = std::move(arguments), redirects, timeout] {
          return run_redirected(arguments, redirects, timeout);
      }),
      redirects_(std::move(redirects)) {}

std::string BackgroundRun::out() const {
    return redirects_.output.empty() ? std::string{} : read_file(redirects_.output);
}

std::string BackgroundRun::err() const {
    return redirects_.error.empty() ? std::string{} : read_file(redirects_.error);
}

}  // namespace mqtls::cli_test
