"""Hot-list management: import lists, switch them on and off, add or remove a single plate.

Hot lists decide whose car gets a unit sent after it, so every change made
here goes to the audit log with who made it, and all store work runs on the
store worker. The alert engine and the map reload their matchers whenever a
list's revision changes (``hotlist_version``), so a change takes effect on
the next plate read without a restart. Imported and typed text (reasons,
list names, file names) is shown as plain text only, never as markup.
"""

from __future__ import annotations

import dataclasses
import html
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from rtcc_desktop.analysis import hotlist as H
from rtcc_desktop.identity import current_user
from rtcc_desktop.ui.display_zone import local_text
from rtcc_desktop.ui.row_model import AnyIndex, RowTableModel, row_table
from rtcc_desktop.ui.store_worker import StoreWorker

log = logging.getLogger(__name__)

LIST_COLUMNS: Final[tuple[tuple[str, str], ...]] = (
    ("Name", "name"),
    ("On", "active"),
    ("Entries", "entries"),
    ("Active", "active_entries"),
    ("Expired", "expired"),
    ("Look-alikes", "confusion"),
    ("Imported", "imported"),
    ("By", "imported_by"),
    ("Source", "source"),
)
ENTRY_COLUMNS: Final[tuple[tuple[str, str], ...]] = (
    ("Plate", "plate"),
    ("State", "state"),
    ("Expires", "expiry"),
    ("From", "line"),
    ("Reason", "reason"),
)
#: Entries shown at once; the filter narrows a big list down.
ENTRY_PAGE: Final[int] = 500
#: Rejected rows listed in the import report (the count is always given).
REPORT_ROWS: Final[int] = 1000
FILTER_DELAY_MS: Final[int] = 250
AUDIT_REASON: Final[str] = H.MANAGEMENT_REASON
DIM: Final[tuple[int, int, int]] = (128, 133, 140)
LOOKALIKE_TIP: Final[str] = (
    "Look-alike matching: a read that differs from a listed plate only by characters ALPR confuses "
    "(0/O, 1/I, 8/B, 5/S, 2/Z, 6/G) also counts as a hit"
)



def _local(iso: str | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    try:
        return local_text(iso, fmt)
    except ValueError:
        return str(iso)


def plain_tip(text: str) -> str:
    """A tooltip that shows ``text`` literally (Qt renders a tooltip that looks like markup as HTML)."""
    return f"<p style='white-space:pre-wrap'>{html.escape(text)}</p>" if text else ""


def _confirm(parent: QWidget, title: str, text: str) -> bool:
    box = QMessageBox(QMessageBox.Icon.Question, title, text, QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, parent)
    box.setTextFormat(Qt.TextFormat.PlainText)  # list names and plates are someone's text
    box.setDefaultButton(QMessageBox.StandardButton.No)
    return box.exec() == QMessageBox.StandardButton.Yes


def _open_file(parent: QWidget) -> str:
    path, _ = QFileDialog.getOpenFileName(parent, "Import hot list", "", "Hot lists (*.csv *.tsv *.txt);;All files (*)")
    return path


def import_report_text(rep: H.ImportReport, path: str) -> str:
    """What an import took and what it refused, line by line (shown in the panel and kept nowhere else)."""
    head = (
        f"{Path(path).name} → hot list {rep.name!r}: {rep.imported} entr{'y' if rep.imported == 1 else 'ies'} taken"
        f" ({rep.expired} already expired), {rep.rejected} row{'' if rep.rejected == 1 else 's'} rejected"
        + (f"; replaced {rep.replaced} previous entries" if rep.replaced else "")
    )
    lines = [head] + [f"  line {n}: {why}" for n, why in rep.bad_rows[:REPORT_ROWS]]
    if rep.rejected > REPORT_ROWS:
        lines.append(f"  … and {rep.rejected - REPORT_ROWS} more rejected rows")
    return "\n".join(lines)


class ListsModel(RowTableModel):
    """The hot lists (dicts from :class:`~rtcc_desktop.analysis.hotlist.HotlistInfo`)."""

    headers = tuple(h for h, _ in LIST_COLUMNS)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.rows):
            return None
        r = self.rows[index.row()]
        key = LIST_COLUMNS[index.column()][1]
        if role == Qt.ItemDataRole.DisplayRole:
            v = r.get(key)
            if key in ("active", "confusion"):
                return "on" if v else "off"
            if key == "imported":
                return _local(v)
            if key == "source":
                return Path(v).name if v else "typed in"
            return "" if v is None else str(v)
        if role == Qt.ItemDataRole.ToolTipRole:
            if key == "source" and r.get("source"):
                return plain_tip(str(r["source"]))
            if key == "confusion":
                return LOOKALIKE_TIP
            if key == "active" and not r.get("active"):
                return "Switched off: its plates raise no alerts"
            if key == "name":
                return plain_tip(str(r["name"]))
            return None
        if role == Qt.ItemDataRole.ForegroundRole and not r.get("active"):
            return QBrush(QColor(*DIM))
        if role == Qt.ItemDataRole.TextAlignmentRole and key in ("entries", "active_entries", "expired"):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def set_lists(self, lists: list[H.HotlistInfo]) -> None:
        self.beginResetModel()
        self.rows = [dict(dataclasses.asdict(h), active_entries=h.active_entries) for h in lists]
        self.endResetModel()

    def row_of(self, name: str) -> int | None:
        return next((i for i, r in enumerate(self.rows) if r["name"] == name), None)


class EntriesModel(RowTableModel):
    """One page of a list's entries; expired ones are greyed (they never match)."""

    headers = tuple(h for h, _ in ENTRY_COLUMNS)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.rows):
            return None
        e = self.rows[index.row()]
        key = ENTRY_COLUMNS[index.column()][1]
        if role == Qt.ItemDataRole.DisplayRole:
            v = e.get(key)
            if key == "expiry":
                return (_local(v) + ("  (expired)" if e.get("expired") else "")) if v else "never"
            if key == "line":
                return f"line {v}" if v else "typed in"
            return "" if v is None else str(v)
        if role == Qt.ItemDataRole.ToolTipRole:
            if key == "reason" and e.get("reason"):
                return plain_tip(str(e["reason"]))
            if e.get("expired"):
                return "Expired: this entry no longer matches any read"
            return None
        if e.get("expired"):
            if role == Qt.ItemDataRole.ForegroundRole:
                return QBrush(QColor(*DIM))
            if role == Qt.ItemDataRole.FontRole:
                font = QFont()
                font.setItalic(True)
                return font
        return None

    def set_entries(self, rows: list[dict[str, Any]]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()


def _table(model: RowTableModel, widths: tuple[int, ...]) -> QTableView:
    t = row_table(model)
    header = t.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setStretchLastSection(True)  # the free text (source file, reason) takes what is left
    fm = header.fontMetrics()
    for i, w in enumerate(widths):
        title = str(model.headerData(i, Qt.Orientation.Horizontal))
        header.resizeSection(i, max(w, fm.horizontalAdvance(title) + 28))
    return t


class HotlistPanel(QWidget):
    """The lists, the selected list's entries, and the actions on them (all audited)."""

    #: The lists were (re)loaded: how many there are.
    loaded = Signal(int)
    #: The selected list's entries were loaded: how many are shown.
    entriesLoaded = Signal(int)
    #: A list changed (imported, switched, edited, deleted): its name.
    changed = Signal(str)
    #: A line for the status bar / the analyst.
    message = Signal(str)

    def __init__(self, worker: StoreWorker | None = None, *, db_path: str | Path | None = None, actor: str | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._own_worker = worker is None
        self.worker = worker if worker is not None else StoreWorker(db_path, name="rtcc-hotlist-ui")
        self.actor = actor or current_user()
        #: Hooks a test can replace (they would block otherwise).
        self.confirm: Callable[[QWidget, str, str], bool] = _confirm
        self.open_file: Callable[[QWidget], str] = _open_file
        self._entries_gen = 0
        self._shown_list: str | None = None
        self._reloading = False

        # -- import row
        self.import_btn = QPushButton("Import CSV…")
        self.import_btn.setToolTip("Columns plate, state, reason, expiry (headers matched loosely); "
                                   "importing under an existing name replaces that list")
        self.name_edit = QLineEdit(placeholderText="list name (default: the file's name)")
        self.name_edit.setMaxLength(100)
        self.lookalike_check = QCheckBox("Match look-alikes")
        self.lookalike_check.setToolTip(LOOKALIKE_TIP)
        top = QHBoxLayout()
        top.addWidget(self.import_btn)
        top.addWidget(self.name_edit, 1)
        top.addWidget(self.lookalike_check)

        # -- lists
        self.lists_model = ListsModel(self)
        self.lists = _table(self.lists_model, (170, 40, 60, 60, 60, 80, 140, 90))
        self.lists.selectionModel().selectionChanged.connect(self._list_selection_changed)
        self.toggle_btn = QPushButton("Turn off")
        self.lookalike_btn = QPushButton("Turn look-alikes on")
        self.lookalike_btn.setToolTip(LOOKALIKE_TIP)
        self.delete_btn = QPushButton("Delete list…")
        list_actions = QHBoxLayout()
        for b in (self.toggle_btn, self.lookalike_btn, self.delete_btn):
            list_actions.addWidget(b)
        list_actions.addStretch(1)
        self.report = QPlainTextEdit()
        self.report.setReadOnly(True)
        self.report.setPlaceholderText("The import report appears here: rows taken, rows rejected and why.")
        self.report.setMaximumBlockCount(REPORT_ROWS + 10)
        self.report.setFixedHeight(self.fontMetrics().height() * 5 + 12)
        upper = QWidget()
        ul = QVBoxLayout(upper)
        ul.setContentsMargins(0, 0, 0, 0)
        ul.addLayout(top)
        ul.addWidget(self.lists, 1)
        ul.addLayout(list_actions)
        ul.addWidget(self.report)

        # -- entries of the selected list
        self.entries_title = QLabel("Entries")
        self.entries_title.setTextFormat(Qt.TextFormat.PlainText)
        self.filter_edit = QLineEdit(placeholderText="filter: plate, state, reason or expiry")
        self.filter_edit.setClearButtonEnabled(True)
        self.count_label = QLabel("")
        self.count_label.setTextFormat(Qt.TextFormat.PlainText)
        head = QHBoxLayout()
        head.addWidget(self.entries_title)
        head.addWidget(self.filter_edit, 1)
        head.addWidget(self.count_label)
        self.entries_model = EntriesModel(self)
        self.entries = _table(self.entries_model, (110, 55, 210, 80))
        self.plate_edit = QLineEdit(placeholderText="plate")
        self.state_edit = QLineEdit(placeholderText="state")
        self.state_edit.setMaxLength(8)
        self.state_edit.setFixedWidth(60)
        self.reason_edit = QLineEdit(placeholderText="reason")
        self.expiry_edit = QLineEdit(placeholderText="expires")
        self.expiry_edit.setToolTip("Expiry date, e.g. 2025-12-31 (valid through that day); leave empty for never")
        self.add_btn = QPushButton("Add plate")
        self.remove_btn = QPushButton("Remove…")
        add_row = QHBoxLayout()
        add_row.addWidget(self.plate_edit, 2)
        add_row.addWidget(self.state_edit)
        add_row.addWidget(self.reason_edit, 3)
        add_row.addWidget(self.expiry_edit, 2)
        add_row.addWidget(self.add_btn)
        add_row.addWidget(self.remove_btn)
        lower = QWidget()
        ll = QVBoxLayout(lower)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addLayout(head)
        ll.addWidget(self.entries, 1)
        ll.addLayout(add_row)

        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(upper)
        splitter.addWidget(lower)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        splitter.setChildrenCollapsible(False)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.PlainText)  # names, plates and reasons are someone's text
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.status)

        self._filter_timer = QTimer(self)
        self._filter_timer.setSingleShot(True)
        self._filter_timer.setInterval(FILTER_DELAY_MS)
        self._filter_timer.timeout.connect(self.load_entries)
        self.filter_edit.textChanged.connect(lambda *_: self._filter_timer.start())
        self.import_btn.clicked.connect(self.import_csv)
        self.toggle_btn.clicked.connect(self.toggle_selected)
        self.lookalike_btn.clicked.connect(self.toggle_lookalikes)
        self.delete_btn.clicked.connect(self.delete_selected)
        self.add_btn.clicked.connect(self.add_plate)
        for edit in (self.plate_edit, self.state_edit, self.reason_edit, self.expiry_edit):
            edit.returnPressed.connect(self.add_plate)
        self.remove_btn.clicked.connect(self.remove_selected_entry)
        self.entries.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        self._update_buttons()
        self.refresh()

    def shutdown(self) -> None:
        self._filter_timer.stop()
        if self._own_worker:
            self.worker.stop()

    # ------------------------------------------------------------------ state
    def _say(self, text: str) -> None:
        self.status.setText(text)
        self.message.emit(text)

    def _failed(self, exc: BaseException) -> None:
        log.warning("hot-list panel: %s", exc)
        self._say(str(exc))

    def selected_list(self) -> dict[str, Any] | None:
        rows = self.lists.selectionModel().selectedRows()
        return self.lists_model.rows[rows[0].row()] if rows and rows[0].row() < len(self.lists_model.rows) else None

    def select_list(self, name: str) -> bool:
        row = self.lists_model.row_of(name)
        if row is None:
            return False
        self.lists.selectRow(row)
        return True

    def selected_entry(self) -> dict[str, Any] | None:
        rows = self.entries.selectionModel().selectedRows()
        return self.entries_model.rows[rows[0].row()] if rows and rows[0].row() < len(self.entries_model.rows) else None

    def _update_buttons(self) -> None:
        current = self.selected_list()
        for b in (self.toggle_btn, self.lookalike_btn, self.delete_btn, self.add_btn):
            b.setEnabled(current is not None)
        self.remove_btn.setEnabled(current is not None and self.selected_entry() is not None)
        self.toggle_btn.setText("Turn off" if current is None or current["active"] else "Turn on")
        self.lookalike_btn.setText("Turn look-alikes off" if current is not None and current["confusion"] else "Turn look-alikes on")

    # ------------------------------------------------------------------ loading
    def refresh(self, *_: Any) -> None:
        """Reload the lists (counts are counted again: entries expire as time passes)."""
        self.worker.submit(lambda store: H.list_hotlists(store), self._lists_loaded, self._failed, what="hot lists")

    def _lists_loaded(self, lists: list[H.HotlistInfo], select: str | None = None) -> None:
        keep = select or (self.selected_list() or {}).get("name") or self._shown_list
        self._reloading = True
        try:
            self.lists_model.set_lists(lists)
            if not (keep and self.select_list(keep)) and lists:
                self.lists.selectRow(0)
        finally:
            self._reloading = False
        self._show_entries_of((self.selected_list() or {}).get("name"))  # counts may have changed: reload
        self._update_buttons()
        self.loaded.emit(len(lists))

    def _list_selection_changed(self, *_: Any) -> None:
        name = (self.selected_list() or {}).get("name")
        if not self._reloading and name != self._shown_list:
            self._show_entries_of(name)
        self._update_buttons()

    def _show_entries_of(self, name: str | None) -> None:
        if name != self._shown_list:
            self._shown_list = name
            self.entries_title.setText(f"Entries of {name}" if name else "Entries")
        self.load_entries()

    def load_entries(self) -> None:
        """(Re)load the shown list's entries through the filter."""
        self._filter_timer.stop()
        self._entries_gen += 1
        gen, name, text = self._entries_gen, self._shown_list, self.filter_edit.text()
        if name is None:
            self.entries_model.set_entries([])
            self.count_label.setText("")
            self._update_buttons()
            return

        def done(res: tuple[list[dict[str, Any]], int]) -> None:
            if gen != self._entries_gen:
                return  # a newer list or filter was asked for meanwhile
            rows, total = res
            self.entries_model.set_entries(rows)
            shown = f"{len(rows)} of {total}" if total > len(rows) else f"{total}"
            self.count_label.setText(f"{shown} entr{'y' if total == 1 else 'ies'}" + (" match" if text.strip() else ""))
            self._update_buttons()
            self.entriesLoaded.emit(len(rows))

        def failed(exc: BaseException) -> None:
            if gen == self._entries_gen:
                self.entries_model.set_entries([])
                self._failed(exc)

        self.worker.submit(lambda store: H.list_entries(store, name, text, limit=ENTRY_PAGE), done, failed, what="hot-list entries")

    # ------------------------------------------------------------------ changes (each audited)
    def _change(self, what: str, job: Callable[[Any], Any], done: Callable[[Any], str], name: str) -> None:
        """Run a change on the worker, then say what happened and reload lists and entries."""

        def finished(res: Any) -> None:
            self._say(done(res))
            self.changed.emit(name)
            self.refresh()  # re-selecting the list reloads its entries

        self.worker.submit(job, finished, self._failed, what=what)

    def import_csv(self) -> None:
        """Ask for a file and import it as a list (the name field, else the file's name)."""
        path = self.open_file(self)
        if not path:
            return
        name = self.name_edit.text().strip() or Path(path).stem
        confusion, actor = self.lookalike_check.isChecked(), self.actor
        existing = self.lists_model.row_of(name)
        if existing is not None:
            n = self.lists_model.rows[existing]["entries"]
            if not self.confirm(self, "Replace hot list",
                                f"A hot list named {name!r} exists with {n} entries.\n\n"
                                f"Replace all of them with the rows of {Path(path).name}?"):
                self._say("import cancelled")
                return

        def job(store: Any) -> H.ImportReport:
            return H.audited_import(store, path, name, confusion, actor, AUDIT_REASON)

        def done(rep: H.ImportReport) -> None:
            self.report.setPlainText(import_report_text(rep, path))
            self._say(f"Imported {rep.imported} entries into {rep.name!r}"
                      + (f"; {rep.rejected} rows rejected (see the report)" if rep.rejected else "; no rows rejected"))
            self.name_edit.clear()
            self.changed.emit(rep.name)
            self.worker.submit(lambda store: H.list_hotlists(store), lambda lists: self._lists_loaded(lists, rep.name),
                               self._failed, what="hot lists")

        def failed(exc: BaseException) -> None:
            self.report.setPlainText(f"{Path(path).name}: nothing imported: {exc}")
            self._failed(exc)

        self._say(f"importing {Path(path).name}…")
        self.worker.submit(job, done, failed, what="hot-list import")

    def toggle_selected(self) -> None:
        current = self.selected_list()
        if current is None:
            return
        name, on, actor = current["name"], not current["active"], self.actor

        def job(store: Any) -> bool:
            if not H.set_hotlist(store, name, active=on):
                raise H.HotlistError(f"there is no hot list named {name!r}")
            store.audit(actor, "hotlist enable" if on else "hotlist disable", {"list": name}, AUDIT_REASON, 1)
            return True

        self._change("hot-list switch", job,
                     lambda _: f"{name!r} is on: its plates alert" if on else f"{name!r} is off: its plates raise no alerts", name)

    def toggle_lookalikes(self) -> None:
        current = self.selected_list()
        if current is None:
            return
        name, on, actor = current["name"], not current["confusion"], self.actor

        def job(store: Any) -> bool:
            if not H.set_hotlist(store, name, confusion=on):
                raise H.HotlistError(f"there is no hot list named {name!r}")
            store.audit(actor, "hotlist lookalikes on" if on else "hotlist lookalikes off", {"list": name}, AUDIT_REASON, 1)
            return True

        self._change("hot-list look-alikes", job,
                     lambda _: f"{name!r}: look-alike matching {'on' if on else 'off'}", name)

    def delete_selected(self) -> None:
        current = self.selected_list()
        if current is None:
            return
        name, n, actor = current["name"], current["entries"], self.actor
        if not self.confirm(self, "Delete hot list",
                            f"Delete hot list {name!r} and its {n} entries?\n\nAlerts it already raised are kept."):
            return

        def job(store: Any) -> bool:
            if not H.delete_hotlist(store, name):
                raise H.HotlistError(f"there is no hot list named {name!r}")
            store.audit(actor, "hotlist delete", {"list": name, "entries": n}, AUDIT_REASON, n)
            return True

        self._change("hot-list delete", job, lambda _: f"deleted hot list {name!r}", name)

    def add_plate(self) -> None:
        """Put the typed plate on the selected list (checked like an imported row)."""
        current = self.selected_list()
        if current is None:
            self._say("select a hot list first")
            return
        values = (self.plate_edit.text(), self.state_edit.text(), self.reason_edit.text(), self.expiry_edit.text())
        try:
            H.check_entry(*values)  # say what is wrong at once; the worker checks again
        except H.HotlistError as exc:
            self._say(f"not added: {exc}")
            self.plate_edit.setFocus()
            return
        name, actor = current["name"], self.actor

        def job(store: Any) -> dict[str, Any]:
            entry = H.add_entry(store, name, *values)
            store.audit(actor, "hotlist add entry",
                        {"list": name, **{k: entry[k] for k in ("plate", "state", "reason", "expiry")}}, AUDIT_REASON, 1)
            return entry

        def done(entry: dict[str, Any]) -> str:
            for edit in (self.plate_edit, self.state_edit, self.reason_edit, self.expiry_edit):
                edit.clear()
            return f"added {entry['plate']}{' ' + entry['state'] if entry['state'] else ''} to {name!r}"

        self._change("hot-list add", job, done, name)

    def remove_selected_entry(self) -> None:
        current, entry = self.selected_list(), self.selected_entry()
        if current is None or entry is None:
            self._say("select an entry first")
            return
        name, entry_id, actor = current["name"], int(entry["id"]), self.actor
        plate = f"{entry['plate']}{' ' + entry['state'] if entry.get('state') else ''}"
        if not self.confirm(self, "Remove plate", f"Take {plate} off hot list {name!r}?"):
            return

        def job(store: Any) -> dict[str, Any] | None:
            removed = H.remove_entry(store, name, entry_id)
            if removed is not None:
                store.audit(actor, "hotlist remove entry",
                            {"list": name, **{k: removed[k] for k in ("plate", "state", "reason", "expiry")}}, AUDIT_REASON, 1)
            return removed

        self._change("hot-list remove", job,
                     lambda removed: f"removed {plate} from {name!r}" if removed else f"{plate} was already removed", name)
