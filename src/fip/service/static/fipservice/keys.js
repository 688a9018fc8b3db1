// FIP form, keyboard entry: a digit on the scale chooses that answer of the question in
// focus and moves to the next question (after the last one, to the save button). Without
// this file the form works with Tab and the arrow keys (native radio buttons).
(function () {
  "use strict";
  var form = document.getElementById("fip-form");
  if (!form) { return; }
  var groups = Array.prototype.slice.call(form.querySelectorAll("fieldset.item"));
  form.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.altKey || event.metaKey || !/^[0-9]$/.test(event.key)) { return; }
    var group = event.target.closest && event.target.closest("fieldset.item");
    if (!group) { return; }
    var radio = group.querySelector("input[type=radio][value='" + event.key + "']");
    if (!radio) { return; }
    event.preventDefault();
    radio.checked = true;
    var next = groups[groups.indexOf(group) + 1];
    if (next) {
      var target = next.querySelector("input[type=radio]:checked") || next.querySelector("input[type=radio]");
      target.focus();
    } else {
      document.getElementById("save").focus();
    }
  });
}());
