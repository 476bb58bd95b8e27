/* The report form: show only the extra questions of the chosen category. Without this script every
   category's questions show, each under "Only if you chose …", and the server reads only the chosen one's. */
(function () {
  "use strict";
  function start() {
    var form = document.querySelector(".report-form");
    if (!form) return;
    var category = form.querySelector("[name=category]");
    var groups = form.querySelectorAll(".report-questions [data-category]");
    if (!category || !groups.length) return;
    function show() {
      groups.forEach(function (group) {
        group.hidden = group.getAttribute("data-category") !== category.value;
      });
    }
    category.addEventListener("change", show);
    show();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
