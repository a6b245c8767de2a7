// report.html in headless Chromium: the page's script runs (DOM markers say
// how many charts were drawn and how many fault bars the timeline holds), and
// the screenshot shows the fault windows in the timeline region in their
// kinds' colours. Set FAULTLINE_REPORT_SHOT=/path.png to keep the screenshot.
#include <png.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include <gtest/gtest.h>

#include "controller/report/chartjs.h"
#include "controller/report/report.h"
#include "tests/controller/report/sample_history.h"

namespace faultline {
namespace {

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    path = std::filesystem::temp_directory_path() / ("fl-report-chromium-" + std::to_string(::getpid()));
    std::filesystem::create_directories(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

std::string find_chromium() {
  for (const char* p : {"/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"})
    if (::access(p, X_OK) == 0) return p;
  return "";
}

// Runs a command, returns its stdout.
std::string run(const std::string& command) {
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) return out;
  char buffer[65536];
  std::size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
  ::pclose(pipe);
  return out;
}

std::string chromium_command(const std::string& chromium, const TempDir& dir, const std::string& what) {
  // `timeout` bounds a wedged browser; a fresh profile keeps runs independent.
  return "timeout 60 " + chromium + " --headless --no-sandbox --disable-gpu --no-first-run --hide-scrollbars" +
         " --force-device-scale-factor=1 --user-data-dir=" + (dir.path / "profile").string() +
         " --window-size=1400,3000 --virtual-time-budget=5000 " + what + " file://" + (dir.path / "report.html").string() +
         " 2>" + (dir.path / "chromium.err").string();
}

struct Image {
  unsigned width = 0, height = 0;
  std::vector<unsigned char> rgba;
};

bool read_png(const std::filesystem::path& file, Image& image) {
  png_image png{};
  png.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_file(&png, file.c_str())) return false;
  png.format = PNG_FORMAT_RGBA;
  image.width = png.width;
  image.height = png.height;
  image.rgba.resize(PNG_IMAGE_SIZE(png));
  const bool ok = png_image_finish_read(&png, nullptr, image.rgba.data(), 0, nullptr) != 0;
  png_image_free(&png);
  return ok;
}

// Pixels within `tolerance` of an RGB colour inside a rectangle.
std::size_t count_colour(const Image& img, int x, int y, int w, int h, int r, int g, int b, int tolerance = 6) {
  std::size_t n = 0;
  for (int yy = std::max(0, y); yy < std::min<int>(img.height, y + h); ++yy)
    for (int xx = std::max(0, x); xx < std::min<int>(img.width, x + w); ++xx) {
      const unsigned char* p = &img.rgba[(static_cast<std::size_t>(yy) * img.width + xx) * 4];
      if (std::abs(p[0] - r) <= tolerance && std::abs(p[1] - g) <= tolerance && std::abs(p[2] - b) <= tolerance) ++n;
    }
  return n;
}

TEST(ReportChromium, RendersFaultWindowsAndCharts) {
  const std::string chromium = find_chromium();
  if (chromium.empty()) GTEST_SKIP() << "chromium is not installed (Debian package `chromium`)";
  ASSERT_TRUE(controller::report::load_chartjs().has_value()) << "libjs-chart.js is not installed: the report would have no charts";
  TempDir dir;
  auto h = report_test::sample_history();
  auto check = report_test::sample_report(h, 5);
  ASSERT_TRUE(controller::write_report(dir.path / "report.html", h, &check, {{"suite", "chromium-test"}}).ok());

  // 1. The DOM after the page's script ran.
  const std::string dom = run(chromium_command(chromium, dir, "--dump-dom"));
  ASSERT_FALSE(dom.empty()) << "chromium printed no DOM; stderr is in " << (dir.path / "chromium.err");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(dom, m, std::regex("data-charts=\"(\\d+)\""))) << dom.substr(0, 400);
  EXPECT_GE(std::stoi(m[1]), 5);  // timeline, rate, detector, breaker, latency, throughput
  ASSERT_TRUE(std::regex_search(dom, m, std::regex("data-fault-bars=\"(\\d+)\"")));
  EXPECT_EQ(std::stoi(m[1]), 3);  // the partition on n1 and n3, the kill on n2
  EXPECT_NE(dom.find("[rendered]"), std::string::npos);
  EXPECT_EQ(dom.find("<p class=\"note\">Charts unavailable"), std::string::npos);
  ASSERT_TRUE(std::regex_search(dom, m, std::regex("data-timeline-rect=\"(\\d+),(\\d+),(\\d+),(\\d+)\"")));
  const int x = std::stoi(m[1]), y = std::stoi(m[2]), w = std::stoi(m[3]), ht = std::stoi(m[4]);
  EXPECT_GT(w, 400);
  EXPECT_GT(ht, 100);

  // 2. The pixels: the timeline region holds the partition's red and the
  // kill's near-black bars; the page outside charts has neither red.
  const auto shot = dir.path / "shot.png";
  run(chromium_command(chromium, dir, "--screenshot=" + shot.string()));
  Image img;
  ASSERT_TRUE(read_png(shot, img)) << "no readable screenshot; stderr is in " << (dir.path / "chromium.err");
  if (const char* keep = std::getenv("FAULTLINE_REPORT_SHOT")) std::filesystem::copy_file(shot, keep, std::filesystem::copy_options::overwrite_existing);
  ASSERT_GE(img.height, static_cast<unsigned>(y + ht));
  const std::size_t red = count_colour(img, x, y, w, ht, 0xd6, 0x27, 0x28);
  const std::size_t black = count_colour(img, x, y, w, ht, 0x11, 0x11, 0x11);
  EXPECT_GT(red, 1000u) << "partition bars (#d62728) missing from the timeline at " << x << "," << y << " " << w << "x" << ht;
  EXPECT_GT(black, 500u) << "kill bar (#111111) missing from the timeline";
  EXPECT_EQ(count_colour(img, 0, 0, img.width, y, 0xd6, 0x27, 0x28), 0u);  // nothing red above the timeline
}

}  // namespace
}  // namespace faultline
