/* Ranked polls: reorder the options by drag and drop or with "Move up" / "Move down" buttons.
 *
 * A progressive enhancement of the form in templates/participation/poll_page.html, which works without
 * it: one select per option ("not ranked", 1..N). Here the options go into two lists, "Your ranking"
 * (in order) and "Not ranked"; every move writes the ranks back into the same selects (1..k in list
 * order, empty for the rest), so the server receives exactly what the no-JavaScript form sends.
 * Changing a select moves its option to that place. Each move is announced in an aria-live region.
 * Served as a static file: the Content-Security-Policy allows no inline script and no inline style
 * (only classes and the `hidden` attribute are used here).
 */
(function () {
  "use strict";

  function format(template, values) {
    return template.replace(/\{(\w+)\}/g, function (match, name) {
      return name in values ? String(values[name]) : match;
    });
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  function enhance(root) {
    var text = root.dataset;
    var source = root.querySelector("[data-ranked-options]");
    var status = root.querySelector("[data-ranking-status]");
    if (!source || !status) return;
    var items = Array.prototype.slice.call(source.children);
    var uid = "ranking-" + Math.random().toString(36).slice(2, 8);

    var help = root.querySelector(".ranked-poll-js-help");
    if (help) help.hidden = false;

    var rankedHeading = element("h3", "h5 mt-3", text.textRanked);
    rankedHeading.id = uid + "-ranked";
    var ranked = element("ol", "list-unstyled ranking-list ranking-list-ranked");
    ranked.setAttribute("aria-labelledby", rankedHeading.id);
    var empty = element("p", "small text-muted ranking-empty", text.textEmpty);
    var unrankedHeading = element("h3", "h5 mt-3", text.textUnranked);
    unrankedHeading.id = uid + "-unranked";
    var unranked = element("ul", "list-unstyled ranking-list ranking-list-unranked");
    unranked.setAttribute("aria-labelledby", unrankedHeading.id);

    function selectOf(item) {
      return item.querySelector("select");
    }
    function labelOf(item) {
      var label = item.querySelector("[id$='-label']");
      return label ? label.firstChild.textContent.trim() : "";
    }
    function rankOf(item) {
      var value = parseInt(selectOf(item).value, 10);
      return isNaN(value) ? 0 : value;
    }

    // Ranked options first, in their order; then the others, in the editors' order.
    items
      .filter(function (item) { return rankOf(item) > 0; })
      .sort(function (a, b) { return rankOf(a) - rankOf(b); })
      .forEach(function (item) { ranked.appendChild(item); });
    items.forEach(function (item) {
      if (!item.parentNode || item.parentNode === source) unranked.appendChild(item);
    });

    items.forEach(function (item) {
      var label = labelOf(item);
      var controls = element("div", "ranking-controls d-flex gap-2 mt-3");
      [["up", text.textUp], ["down", text.textDown]].forEach(function (pair) {
        var button = element("button", "btn btn-outline-primary btn-sm");
        button.type = "button";
        button.dataset.move = pair[0];
        button.appendChild(document.createTextNode(pair[1]));
        button.appendChild(element("span", "visually-hidden", " " + label));
        controls.appendChild(button);
      });
      item.querySelector(".card-body").appendChild(controls);
      item.draggable = true;
      item.classList.add("ranking-item");
    });

    source.replaceWith(rankedHeading, ranked, empty, unrankedHeading, unranked);

    function renumber() {
      Array.prototype.forEach.call(ranked.children, function (item, index) {
        selectOf(item).value = String(index + 1);
      });
      Array.prototype.forEach.call(unranked.children, function (item) {
        selectOf(item).value = "";
      });
      empty.hidden = ranked.children.length > 0;
      items.forEach(function (item) {
        var up = item.querySelector("[data-move=up]");
        var down = item.querySelector("[data-move=down]");
        up.disabled = item.parentNode === ranked && !item.previousElementSibling;
        down.disabled = item.parentNode === unranked && !item.nextElementSibling;
      });
    }

    function announce(item) {
      var message = item.parentNode === ranked
        ? format(text.textMoved, { label: labelOf(item), rank: rankOf(item), count: ranked.children.length })
        : format(text.textRemoved, { label: labelOf(item) });
      status.textContent = "";
      window.setTimeout(function () { status.textContent = message; }, 50);
    }

    function move(item, direction) {
      var list = item.parentNode;
      if (direction === "up") {
        if (item.previousElementSibling) list.insertBefore(item, item.previousElementSibling);
        else if (list === unranked) ranked.appendChild(item); // joins the ranking, last
        else return false;
      } else {
        var next = item.nextElementSibling;
        if (next) list.insertBefore(item, next.nextElementSibling);
        else if (list === ranked) unranked.insertBefore(item, unranked.firstElementChild); // leaves it
        else return false;
      }
      return true;
    }

    root.addEventListener("click", function (event) {
      var button = event.target.closest("[data-move]");
      if (!button || !root.contains(button)) return;
      var item = button.closest(".ranking-item");
      if (!move(item, button.dataset.move)) return;
      renumber();
      // Moving the item took the focus away: give it back, or to the other button at an end.
      var focus = button.disabled ? item.querySelector("[data-move]:not([disabled])") : button;
      if (focus) focus.focus();
      announce(item);
    });

    root.addEventListener("change", function (event) {
      var select = event.target;
      if (select.tagName !== "SELECT") return;
      var item = select.closest(".ranking-item");
      var rank = parseInt(select.value, 10);
      if (isNaN(rank)) {
        unranked.insertBefore(item, unranked.firstElementChild);
      } else {
        if (item.parentNode === ranked) ranked.removeChild(item);
        ranked.insertBefore(item, ranked.children[rank - 1] || null);
      }
      renumber();
      select.focus();
      announce(item);
    });

    var dragged = null;
    root.addEventListener("dragstart", function (event) {
      var item = event.target.closest && event.target.closest(".ranking-item");
      if (!item) return;
      dragged = item;
      item.classList.add("is-dragging");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", item.dataset.option);
    });
    function dragOver(event) {
      if (!dragged) return;
      event.preventDefault();
      event.dataTransfer.dropEffect = "move";
      var list = event.currentTarget;
      var over = event.target.closest(".ranking-item");
      if (over === dragged) return;
      if (over && over.parentNode === list) {
        var box = over.getBoundingClientRect();
        var after = event.clientY > box.top + box.height / 2;
        list.insertBefore(dragged, after ? over.nextElementSibling : over);
      } else if (!over && dragged.parentNode !== list) {
        list.appendChild(dragged);
      }
    }
    function dragEnd() {
      if (!dragged) return;
      var item = dragged;
      dragged = null;
      item.classList.remove("is-dragging");
      renumber();
      announce(item);
    }
    [ranked, unranked].forEach(function (list) {
      list.addEventListener("dragover", dragOver);
      list.addEventListener("drop", function (event) {
        event.preventDefault();
        dragEnd();
      });
    });
    root.addEventListener("dragend", dragEnd);

    var form = root.closest("form");
    if (form) form.addEventListener("submit", renumber);
    renumber();
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-ranked-poll]"), enhance);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
