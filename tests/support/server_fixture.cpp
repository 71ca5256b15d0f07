#include "support/server_fixture.hpp"

#include <stdexcept>

namespace clauster::test {

running_server::running_server(const installation& inst, std::vector<std::string> extra_args)
    : log_file_(inst.root / "clausterd.log") {
    const auto ready = inst.root / "clausterd.ready";
    std::filesystem::remove(ready);
    std::vector<std::string> argv{CLAUSTER_TEST_CLAUSTERD, "--port", "0", "--ready-file", ready.string()};
    argv.insert(argv.end(), extra_args.begin(), extra_args.end());
    process_ = std::make_unique<child_process>(argv, inst.env, log_file_);
    url_ = wait_for_file(ready, std::chrono::seconds(20));
    if (url_.empty()) throw std::runtime_error("clausterd did not become ready:\n" + log());
    while (!url_.empty() && (url_.back() == '\n' || url_.back() == '\r')) url_.pop_back();
}

std::string running_server::log() const { return read_file(log_file_); }

}  // namespace clauster::test
