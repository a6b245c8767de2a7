// The report page's fixed style and script (no data in them: the script
// reads <script type="application/json" id="faultline-data">).
//
// Contract: kReportStyle is CSS; kReportScript draws every chart with
// Chart.js when `Chart` is defined, else replaces the chart boxes with a note.
// Text from the data only reaches the page through Chart.js (canvas) or
// textContent, never innerHTML. Once done it sets, on <html>,
// data-charts="<number of charts drawn>", data-fault-bars="<fault spans in
// the timeline>" and data-timeline-rect="x,y,w,h" (the timeline canvas in
// CSS pixels, page coordinates), and appends " [rendered]" to the title, so
// tests and tools can tell the page finished.
#pragma once

namespace faultline::controller::report {

extern const char* const kReportStyle;
extern const char* const kReportScript;

}  // namespace faultline::controller::report
