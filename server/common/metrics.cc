#include "server/common/metrics.h"

#include <utility>

#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/text_serializer.h"

namespace seedlm::obs {

MetricsRegistry::MetricsRegistry(const std::string& process,
                                 const std::string& version)
    : registry_(std::make_shared<prometheus::Registry>()) {
  prometheus::BuildGauge()
      .Name("seedlm_build_info")
      .Help("Always 1; labels name the process and its build.")
      .Register(*registry_)
      .Add({{"process", process}, {"version", version}})
      .Set(1);
}

int MetricsRegistry::AddCollectHook(std::function<void()> hook) {
  MutexLock lock(&mu_);
  const int id = next_hook_++;
  hooks_.emplace(id, std::move(hook));
  return id;
}

void MetricsRegistry::RemoveCollectHook(int id) {
  MutexLock lock(&mu_);
  hooks_.erase(id);
}

std::string MetricsRegistry::Render() {
  MutexLock lock(&mu_);
  for (auto& [id, hook] : hooks_) hook();
  return prometheus::TextSerializer().Serialize(registry_->Collect());
}

namespace {

// 1-2.5-5 steps per decade from `first` while below `below`, then `last`.
prometheus::Histogram::BucketBoundaries Steps125(double first, double below,
                                                 double last) {
  prometheus::Histogram::BucketBoundaries b;
  for (double decade = first; decade < below; decade *= 10) {
    b.push_back(decade);
    b.push_back(2.5 * decade);
    b.push_back(5 * decade);
  }
  b.push_back(last);
  return b;
}

}  // namespace

prometheus::Histogram::BucketBoundaries LatencyBucketsSeconds() {
  return Steps125(1e-4, 100, 120);
}

prometheus::Histogram::BucketBoundaries DurationBucketsSeconds() {
  return Steps125(1e-2, 1000, 3600);
}

}  // namespace seedlm::obs
