#include <clauster/core/manager.hpp>

#include <clauster/core/version.hpp>

#include <stdexcept>

#include <pwd.h>
#include <unistd.h>

#include <vector>

namespace clauster::core {

std::filesystem::path home_directory(const environment& env) {
    if (auto home = get_env(env, "HOME"); home && !home->empty()) return *home;
    std::vector<char> buf(16384);
    passwd pw{};
    passwd* result = nullptr;
    if (::getpwuid_r(::getuid(), &pw, buf.data(), buf.size(), &result) == 0 && result != nullptr &&
        result->pw_dir != nullptr)
        return result->pw_dir;
    return "/";
}

manager::manager(core::config cfg, token_store& tokens, const clock& clk, environment env)
    : config_(std::move(cfg)),
      clock_(clk),
      env_(std::move(env)),
      tokens_(tokens, clock_, config_.auth.api_token_hash),
      projects_(config_, home_directory(env_)) {}

manager::~manager() = default;

void manager::enable_instances(boost::asio::any_io_executor ex, instance_store& store, executor& exec,
                               instance_paths paths) {
    instances_ = std::make_unique<instance_manager>(std::move(ex), config_, exec, store, projects_, clock_, env_,
                                                    std::move(paths));
    instances_->set_claude_version(claude_probe_.version);
    instances_->set_event_sink(&events_);
}

instance_manager& manager::instances() {
    if (!instances_) throw std::logic_error("manager::instances() before enable_instances()");
    return *instances_;
}

void manager::enable_sessions(boost::asio::any_io_executor ex, executor& exec, session_monitor_options options) {
    sessions_ = std::make_unique<session_monitor>(std::move(ex), config_, exec, projects_, env_, instances_.get(),
                                                  options);
}

session_monitor& manager::sessions() {
    if (!sessions_) throw std::logic_error("manager::sessions() before enable_sessions()");
    return *sessions_;
}

void manager::enable_agents(boost::asio::any_io_executor ex, executor& exec) {
    agents_ = std::make_unique<background_agents>(std::move(ex), config_, exec, projects_, env_,
                                                  home_directory(env_), config_.state_dir);
    agents_->set_event_sink(&events_);
}

background_agents& manager::agents() {
    if (!agents_) throw std::logic_error("manager::agents() before enable_agents()");
    return *agents_;
}

void manager::refresh_claude_probe() {
    // The same PATH (claude.path_append included) every claude child gets.
    claude_probe_ = probe_claude_version(config_.claude.binary, claude_child_environment(env_, config_));
    if (instances_) instances_->set_claude_version(claude_probe_.version);
}

health_report manager::health() {
    health_report h;
    h.version = std::string(core::version);
    h.claude_ok = claude_probe_.ok;
    h.claude_version = claude_probe_.version;
    // No login probe yet: a cold cache reports true (spec §2.7).
    h.claude_login_ok = true;
    h.instances_running = instances_ ? instances_->running_count() : 0;
    return h;
}

}  // namespace clauster::core
