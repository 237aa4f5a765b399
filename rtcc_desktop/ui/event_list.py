"""The event table: every incident, gunshot and plate read in the time window, page by page.

The model never holds the whole table: ``canFetchMore``/``fetchMore`` ask the
store worker for the next page when the user scrolls near the end, and the
rows arrive on the GUI thread. Sorting and filtering run in SQL (per kind,
then merged), so "sort by priority" over a day of calls is one query, not a
sort of what happens to be loaded. New rows from the feeds are put on top
when the table is newest-first. Rows a feed later edits (a call raised to
P1, a narrative appended: same rowid) are refreshed where they are, from the
store's change log; an edited row that no longer passes the filter leaves.
"""

from __future__ import annotations

import heapq
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from PySide6.QtCore import QModelIndex, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from rtcc_desktop.analysis.tables import reading
from rtcc_desktop.model.records import TABLES
from rtcc_desktop.model.timeutil import from_iso, to_iso
from rtcc_desktop.ui.display_zone import local_text
from rtcc_desktop.ui.row_model import AnyIndex, RowTableModel
from rtcc_desktop.ui.store_worker import StoreWorker

log = logging.getLogger(__name__)


#: (header, sort key) of each column.
COLUMNS: Final[tuple[tuple[str, str], ...]] = (
    ("Time", "time"),
    ("Kind", "kind"),
    ("Type", "type"),
    ("Priority", "priority"),
    ("Agency", "agency"),
    ("Address", "address"),
    ("Details", "details"),
    ("Source", "source"),
)
EVENT_KINDS: Final[tuple[str, ...]] = ("cad", "gunshot", "alpr")
KIND_LABELS: Final[dict[str, str]] = {"cad": "CAD", "gunshot": "Gunshot", "alpr": "ALPR", "camera": "Camera"}
_KIND_ORDER: Final[dict[str, int]] = {"cad": 0, "alpr": 1, "gunshot": 2, "camera": 3}

#: What the "Details" column shows per kind (SQL over that kind's table).
DETAILS_SQL: Final[dict[str, str]] = {
    "cad": "substr(narrative, 1, 200)",
    "gunshot": "CASE WHEN rounds IS NULL THEN NULL ELSE CAST(rounds AS INT) || ' rounds' END",
    "alpr": "trim(plate || coalesce(' ' || state, '') || coalesce(' @ ' || camera, ''))",
    "camera": "trim(coalesce(name, '') || coalesce(' (' || ownership || ', ' || access || ')', ''))",
}
PAGE: Final[int] = 200
#: Rows held at most. Live rows go on top; past this the oldest loaded rows are
#: dropped (scrolling down fetches them again), so a console or wall left
#: running for days does not grow with every event.
MAX_ROWS: Final[int] = 5000


@dataclass(frozen=True)
class EventFilter:
    """What the table shows: kinds, a text in the type, one agency, priorities, a time window."""

    kinds: tuple[str, ...] = EVENT_KINDS
    type_text: str = ""
    agency: str = ""
    max_priority: int | None = None  # 1 → P1 only, 2 → P1-P2, ...
    since: str | None = None
    until: str | None = None


@dataclass(frozen=True)
class Sort:
    key: str = "time"
    descending: bool = True


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _where(kind: str, f: EventFilter) -> tuple[str, list[Any]]:
    parts, args = ["1"], []
    if f.since is not None or f.until is not None:
        parts.append("time IS NOT NULL")
    if f.since is not None:
        parts.append("time >= ?")
        args.append(f.since)
    if f.until is not None:
        parts.append("time <= ?")
        args.append(f.until)
    if f.type_text.strip():
        parts.append("type LIKE ? ESCAPE '\\'")
        args.append(f"%{_like_escape(f.type_text.strip())}%")
    if f.agency.strip():
        parts.append("agency = ? COLLATE NOCASE")
        args.append(f.agency.strip())
    if f.max_priority is not None:
        # the store's priority_level(): the same reading as the map's colours (0 counts as P1)
        parts.append("priority_level(priority) <= ?")
        args.append(int(f.max_priority))
    return " AND ".join(parts), args


#: SQL each sort key orders by; priority sorts as a number ("P2" after "1", "High" as 1), unreadable last.
SORT_SQL: Final[dict[str, str]] = {
    "time": "time",
    "type": "type",
    "priority": "priority_level(priority)",
    "agency": "agency",
    "address": "address",
    "source": "source",
}


def _select(kind: str, sort_key: str) -> str:
    sort_sql = SORT_SQL.get(sort_key, "NULL")
    return (
        f"SELECT '{kind}' AS kind, id, time, type, priority, agency, address, {DETAILS_SQL[kind]} AS details, source, "
        f"lat, lon, {sort_sql} AS _sort FROM {TABLES[kind]}"
    )


def _sort_value(row: dict[str, Any], key: str) -> tuple[int, Any]:
    if key == "kind":
        return (1, _KIND_ORDER.get(str(row["kind"]), 9))
    v = row.get("_sort")
    return (0, "") if v is None else (1, v)  # NULL first ascending, last descending (as SQLite)


def query_events(
    store: Any, f: EventFilter, sort: Sort = Sort(), limit: int = PAGE, offset: int = 0, after_ids: dict[str, int] | None = None
) -> list[dict[str, Any]]:
    """One page of events across kinds, sorted in SQL per kind and merged (runs on a worker).

    ``after_ids`` limits each kind to rows newer than that rowid (the live
    delta). Ties are broken by id so pages never overlap.
    """
    if sort.key not in SORT_SQL and sort.key != "kind":
        raise ValueError(f"cannot sort by {sort.key!r}")
    direction = "DESC" if sort.descending else "ASC"
    k = limit + offset
    per_kind: list[list[dict[str, Any]]] = []
    with reading(store) as conn:
        for kind in f.kinds:
            where, args = _where(kind, f)
            if after_ids is not None:
                where += " AND id > ?"
                args.append(int(after_ids.get(kind, 0)))
            order = f"id {direction}" if sort.key == "kind" else f"_sort {direction}, id {direction}"
            cur = conn.execute(f"{_select(kind, sort.key)} WHERE {where} ORDER BY {order} LIMIT ?", [*args, k])
            names = [d[0] for d in cur.description]
            per_kind.append([dict(zip(names, r)) for r in cur])
    merged = heapq.merge(
        *per_kind, key=lambda r: (_sort_value(r, sort.key), r["id"]), reverse=sort.descending
    )
    out = []
    for i, row in enumerate(merged):
        if i >= k:
            break
        if i >= offset:
            out.append(row)
    return out


#: Ids per ``IN (...)`` when re-reading edited rows.
_ID_CHUNK: Final[int] = 500
#: Change-log entries read per pull of edits.
EDIT_PAGE: Final[int] = 5000


def edited_rows(store: Any, f: EventFilter, sort: Sort, after_seq: int) -> tuple[int, bool, dict[str, dict[str, Any] | None]]:
    """Records of ``f.kinds`` edited after change ``after_seq``, read as the table shows them (runs on a worker).

    Returns (new cursor, more waiting, {"kind:id": row, or None when the
    edited record no longer passes the filter}).
    """
    edited = store.updates_since(after_seq, f.kinds, EDIT_PAGE)
    top = max((int(r["change_seq"]) for r in edited), default=after_seq)
    ids: dict[str, list[int]] = {}
    for r in edited:
        ids.setdefault(r["kind"], []).append(int(r["id"]))
    out: dict[str, dict[str, Any] | None] = {f"{r['kind']}:{int(r['id'])}": None for r in edited}
    if ids:
        with reading(store) as conn:
            for kind, kind_ids in ids.items():
                where, args = _where(kind, f)
                for i in range(0, len(kind_ids), _ID_CHUNK):
                    chunk = kind_ids[i : i + _ID_CHUNK]
                    cur = conn.execute(
                        f"{_select(kind, sort.key)} WHERE {where} AND id IN ({', '.join('?' * len(chunk))})", [*args, *chunk]
                    )
                    names = [d[0] for d in cur.description]
                    for values in cur:
                        row = dict(zip(names, values))
                        out[f"{kind}:{row['id']}"] = row
    return top, len(edited) >= EDIT_PAGE, out


def max_ids(store: Any, kinds: Iterable[str]) -> dict[str, int]:
    with reading(store) as conn:
        return {k: int(conn.execute(f"SELECT coalesce(max(id), 0) FROM {TABLES[k]}").fetchone()[0]) for k in kinds}


# --------------------------------------------------------------------------- model


class EventTableModel(RowTableModel):
    """Lazy table over the store; pages come from the worker, never from the GUI thread."""

    headers = tuple(h for h, _ in COLUMNS)

    #: True while a page is being fetched.
    loadingChanged = Signal(bool)
    #: A page (or the live delta) was added: number of rows now loaded.
    rowsLoaded = Signal(int)

    def __init__(self, worker: StoreWorker, page_size: int = PAGE, parent: Any = None) -> None:
        super().__init__(parent)
        self.worker = worker
        self.page_size = page_size
        self.filter = EventFilter()
        self.order = Sort()
        self._exhausted = False
        self._loading = False
        self._generation = 0
        self._top_ids: dict[str, int] | None = None  # newest rowid per kind when this listing started
        self._delta_pending = False
        self._change_seq: int | None = None  # edits applied up to this change number
        self._edits_pending = False
        self._edits_again = False

    # ------------------------------------------------------------------ Qt model
    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.rows):
            return None
        row = self.rows[index.row()]
        key = COLUMNS[index.column()][1]
        if role == Qt.ItemDataRole.DisplayRole:
            v = row.get(key)
            if key == "time" and v:
                return local_text(v)
            if key == "kind":
                return KIND_LABELS.get(v, v)
            return "" if v is None else str(v)
        if role == Qt.ItemDataRole.ToolTipRole and key in ("details", "address", "type"):
            v = row.get(key)
            return None if v is None else str(v)
        if role == Qt.ItemDataRole.UserRole:
            return f"{row['kind']}:{row['id']}"
        return None

    def canFetchMore(self, parent: AnyIndex = QModelIndex()) -> bool:  # noqa: B008, N802
        return not parent.isValid() and not self._exhausted and not self._loading

    def fetchMore(self, parent: AnyIndex = QModelIndex()) -> None:  # noqa: B008, N802
        if parent.isValid() or self._exhausted or self._loading:
            return
        self._load_page()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        key = COLUMNS[column][1]
        if key == "details":
            return  # computed text; sorting it would need every row
        self.set_sort(Sort(key, order == Qt.SortOrder.DescendingOrder))

    # ------------------------------------------------------------------ public
    def set_filter(self, f: EventFilter) -> None:
        """Show what ``f`` selects (starts again from the first page)."""
        self.filter = f
        self.reload()

    def set_sort(self, sort: Sort) -> None:
        self.order = sort
        self.reload()

    def reload(self) -> None:
        self._generation += 1
        self.beginResetModel()
        self.rows = []
        self._exhausted = False
        self._loading = False
        self._top_ids = None
        self._change_seq = None
        self.endResetModel()
        self._load_page()

    def record_at(self, row: int) -> dict[str, Any] | None:
        return self.rows[row] if 0 <= row < len(self.rows) else None

    def ref_at(self, row: int) -> str | None:
        rec = self.record_at(row)
        return f"{rec['kind']}:{rec['id']}" if rec else None

    def row_of(self, ref: str) -> int | None:
        for i, r in enumerate(self.rows):
            if f"{r['kind']}:{r['id']}" == ref:
                return i
        return None

    @property
    def loading(self) -> bool:
        return self._loading

    @property
    def exhausted(self) -> bool:
        return self._exhausted

    def on_store_changed(self, kind: str = "", max_rowid: int = 0) -> None:
        """New rows in the store: put those that pass the filter on top (newest-first tables only).

        Edited rows that are loaded are refreshed in place, whatever the sort.
        """
        if kind and kind not in self.filter.kinds:
            return
        self._pull_edits()
        if not (self.order.key == "time" and self.order.descending) or self.filter.until is not None:
            return  # they belong somewhere in the middle; the user reloads when they want them
        if self._top_ids is None or self._delta_pending:
            return
        self._delta_pending = True
        gen, f, after = self._generation, self.filter, dict(self._top_ids)
        self.worker.submit(
            lambda store: (query_events(store, f, Sort(), limit=10_000, offset=0, after_ids=after), max_ids(store, f.kinds)),
            lambda res: self._delta_arrived(gen, res),
            lambda exc: self._delta_failed(gen, exc),
            what="event list delta",
        )

    # ------------------------------------------------------------------ loading
    def _load_page(self) -> None:
        self._loading = True
        self.loadingChanged.emit(True)
        gen, f, order, offset, limit = self._generation, self.filter, self.order, len(self.rows), self.page_size
        first = self._top_ids is None

        def job(store: Any) -> tuple[list[dict[str, Any]], dict[str, int] | None, int | None]:
            # the change number first: an edit made while the page is read is pulled again (harmless)
            seq = store.max_change_seq() if first else None
            tops = max_ids(store, f.kinds) if first else None
            return query_events(store, f, order, limit=limit + 1, offset=offset), tops, seq

        self.worker.submit(job, lambda res: self._page_arrived(gen, res), lambda exc: self._page_failed(gen, exc), what="event list page")

    def _page_arrived(self, gen: int, res: tuple[list[dict[str, Any]], dict[str, int] | None, int | None]) -> None:
        if gen != self._generation:
            return
        rows, tops, seq = res
        if tops is not None:
            self._top_ids = tops
        if seq is not None:
            self._change_seq = seq
        self._exhausted = len(rows) <= self.page_size
        rows = rows[: self.page_size]
        self._loading = False
        if rows:
            start = len(self.rows)
            self.beginInsertRows(QModelIndex(), start, start + len(rows) - 1)
            self.rows.extend(rows)
            self.endInsertRows()
        self.loadingChanged.emit(False)
        self.rowsLoaded.emit(len(self.rows))
        if seq is not None and self._edits_again:
            self._pull_edits()

    def _page_failed(self, gen: int, exc: BaseException) -> None:
        if gen != self._generation:
            return
        self._loading = False
        self._exhausted = True
        log.error("event list: %s", exc)
        self.loadingChanged.emit(False)

    def _delta_arrived(self, gen: int, res: tuple[list[dict[str, Any]], dict[str, int]]) -> None:
        self._delta_pending = False
        if gen != self._generation:
            return
        rows, tops = res
        self._top_ids = tops
        if rows:
            self.beginInsertRows(QModelIndex(), 0, len(rows) - 1)
            self.rows[0:0] = rows
            self.endInsertRows()
            self._trim()
            self.rowsLoaded.emit(len(self.rows))

    def _trim(self) -> None:
        """Drop the oldest loaded rows past MAX_ROWS; the rows kept stay a prefix of the listing."""
        if len(self.rows) <= MAX_ROWS:
            return
        self.beginRemoveRows(QModelIndex(), MAX_ROWS, len(self.rows) - 1)
        del self.rows[MAX_ROWS:]
        self.endRemoveRows()
        self._exhausted = False

    def _delta_failed(self, gen: int, exc: BaseException) -> None:
        self._delta_pending = False
        log.error("event list update: %s", exc)

    # ------------------------------------------------------------------ edits
    def _pull_edits(self) -> None:
        """Re-read the records edited since the change cursor (one pull in flight, notices coalesced)."""
        if self._change_seq is None or self._edits_pending:
            self._edits_again = True
            return
        self._edits_pending = True
        self._edits_again = False
        gen, f, order, after = self._generation, self.filter, self.order, self._change_seq
        self.worker.submit(
            lambda store: edited_rows(store, f, order, after),
            lambda res: self._edits_arrived(gen, res),
            lambda exc: self._edits_failed(gen, exc),
            what="event list edits",
        )

    def _edits_arrived(self, gen: int, res: tuple[int, bool, dict[str, dict[str, Any] | None]]) -> None:
        self._edits_pending = False
        if gen != self._generation:
            return  # a new listing read the rows afresh and set its own cursor
        top, more, edited = res
        self._change_seq = max(self._change_seq or 0, top)
        if edited and self.rows:
            gone: list[int] = []
            last = len(COLUMNS) - 1
            for i, row in enumerate(self.rows):
                ref = f"{row['kind']}:{row['id']}"
                if ref not in edited:
                    continue
                new = edited[ref]
                if new is None:
                    gone.append(i)
                else:
                    self.rows[i] = new
                    self.dataChanged.emit(self.index(i, 0), self.index(i, last))
            for i in reversed(gone):  # one row at a time: the selection of the others is kept
                self.beginRemoveRows(QModelIndex(), i, i)
                del self.rows[i]
                self.endRemoveRows()
            if gone:
                self.rowsLoaded.emit(len(self.rows))
        if more or self._edits_again:
            self._pull_edits()

    def _edits_failed(self, gen: int, exc: BaseException) -> None:
        self._edits_pending = False
        log.error("event list edits: %s", exc)


# --------------------------------------------------------------------------- widget


class EventList(QWidget):
    """Filter bar + lazy table. Double-click emits ``recordActivated`` ("kind:id"): the main
    window centres the map on it and fills the video grid with the cameras that saw it."""

    recordActivated = Signal(str)
    recordSelected = Signal(str)

    def __init__(
        self,
        worker: StoreWorker | None = None,
        *,
        db_path: str | Path | None = None,
        page_size: int = PAGE,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._own_worker = worker is None
        self.worker = worker if worker is not None else StoreWorker(db_path, name="rtcc-events")
        self.model = EventTableModel(self.worker, page_size=page_size, parent=self)
        self._window: tuple[str | None, str | None] = (None, None)
        self._syncing_selection = False

        self.kind_boxes: dict[str, QCheckBox] = {}
        bar = QHBoxLayout()
        bar.setContentsMargins(4, 2, 4, 2)
        for kind in ("cad", "gunshot", "alpr", "camera"):
            box = QCheckBox(KIND_LABELS[kind])
            box.setChecked(kind in EVENT_KINDS)
            box.toggled.connect(self._filters_changed)
            self.kind_boxes[kind] = box
            bar.addWidget(box)
        self.type_edit = QLineEdit(placeholderText="type contains…")
        self.type_edit.setClearButtonEnabled(True)
        self.agency_edit = QLineEdit(placeholderText="agency")
        self.agency_edit.setClearButtonEnabled(True)
        self.priority = QComboBox()
        for label, value in (("Any priority", None), ("P1", 1), ("P1–P2", 2), ("P1–P3", 3)):
            self.priority.addItem(label, value)
        self.use_window = QCheckBox("Time window")
        self.use_window.setChecked(True)
        self.use_window.setToolTip("Only events in the shared time window")
        self.count_label = QLabel("")
        for w in (self.type_edit, self.agency_edit, self.priority, self.use_window):
            bar.addWidget(w)
        bar.addStretch(1)
        bar.addWidget(self.count_label)
        self._typing = QTimer(self, singleShot=True, interval=300)
        self._typing.timeout.connect(self._filters_changed)
        self.type_edit.textChanged.connect(lambda *_: self._typing.start())
        self.agency_edit.textChanged.connect(lambda *_: self._typing.start())
        self.priority.currentIndexChanged.connect(self._filters_changed)
        self.use_window.toggled.connect(self._filters_changed)

        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSortingEnabled(True)
        self.table.horizontalHeader().setSortIndicator(0, Qt.SortOrder.DescendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 8)
        for i, width in enumerate((150, 70, 140, 72, 80, 180, 220)):
            self.table.horizontalHeader().resizeSection(i, width)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.doubleClicked.connect(self._double_clicked)
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)
        self.model.rowsLoaded.connect(self._loaded)
        self.model.loadingChanged.connect(self._loaded)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)
        self._filters_changed()

    # ------------------------------------------------------------------ public
    def current_filter(self) -> EventFilter:
        kinds = tuple(k for k, box in self.kind_boxes.items() if box.isChecked())
        since, until = self._window if self.use_window.isChecked() else (None, None)
        return EventFilter(
            kinds=kinds,
            type_text=self.type_edit.text(),
            agency=self.agency_edit.text(),
            max_priority=self.priority.currentData(),
            since=since,
            until=until,
        )

    def set_window(self, since: datetime | str | None, until: datetime | str | None) -> None:
        """The shared time window (None = open ended)."""
        def iso(v: datetime | str | None) -> str | None:
            if v is None:
                return None
            return to_iso(v) if isinstance(v, datetime) else to_iso(from_iso(v))

        window = (iso(since), iso(until))
        if window != self._window:
            self._window = window
            self._filters_changed()

    def on_window_changed(self, window: Any) -> None:
        """Slot for ``Bus.window_changed``."""
        since, until = window.bounds()
        self.set_window(since, until)

    def select(self, ref: str) -> None:
        """Select the row of ``ref`` when it is loaded (from the bus)."""
        row = self.model.row_of(ref) if ref else None
        self._syncing_selection = True
        try:
            if row is None:
                self.table.clearSelection()
            else:
                self.table.selectRow(row)
                self.table.scrollTo(self.model.index(row, 0))
        finally:
            self._syncing_selection = False

    def attach_bus(self, bus: Any) -> None:
        """Connect to the main window's bus: selection both ways, window and store changes in."""
        self.recordSelected.connect(bus.select)
        bus.selected.connect(self.select)
        bus.window_changed.connect(self.on_window_changed)
        bus.store_changed.connect(self.model.on_store_changed)
        self.on_window_changed(bus.window)

    def shutdown(self) -> None:
        if self._own_worker:
            self.worker.stop()

    # ------------------------------------------------------------------ private
    def _filters_changed(self, *_: Any) -> None:
        f = self.current_filter()
        if f != self.model.filter or not self.model.rows and not self.model.loading:
            self.model.set_filter(f)

    def _loaded(self, *_: Any) -> None:
        n = self.model.rowCount()
        more = "" if self.model.exhausted else "+"
        self.count_label.setText("loading…" if self.model.loading else f"{n:,}{more} events")

    def _double_clicked(self, index: QModelIndex) -> None:
        ref = self.model.ref_at(index.row())
        if ref:
            self.recordActivated.emit(ref)

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if self._syncing_selection:
            return
        ref = self.model.ref_at(current.row())
        if ref:
            self.recordSelected.emit(ref)


__all__ = ["EventFilter", "EventList", "EventTableModel", "Sort", "query_events"]
