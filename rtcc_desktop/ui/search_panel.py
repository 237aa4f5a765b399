"""Investigative search: plates (wildcards, look-alike characters), "what was near", full text.

Plate and "near" searches reach into people's movements: the panel refuses
them until a reason or case number is entered, and every search (each page
of it) is written to the audit log with who, when, what, why and how many
results. Searches run on the store worker; results come back a page at a time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from rtcc_desktop.analysis.near import ReasonRequired, require_reason, what_was_near
from rtcc_desktop.analysis.plates import audited_plate_search
from rtcc_desktop.identity import current_user
from rtcc_desktop.ui.display_zone import local_text
from rtcc_desktop.ui.row_model import AnyIndex, RowTableModel
from rtcc_desktop.ui.store_worker import StoreWorker

log = logging.getLogger(__name__)


PAGE: Final[int] = 100
KIND_LABELS: Final[dict[str, str]] = {"cad": "Incident", "gunshot": "Gunshot", "alpr": "Plate read", "camera": "Camera"}
COLUMNS: Final[tuple[str, ...]] = ("Kind", "Time", "What", "Where", "Distance", "Match", "Source")



class ResultsModel(RowTableModel):
    """One page of search results (records as the store returns them)."""

    headers = COLUMNS

    def set_rows(self, rows: list[dict[str, Any]]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.rows):
            return None
        r = self.rows[index.row()]
        if role == Qt.ItemDataRole.UserRole:
            return f"{r['kind']}:{r['id']}"
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        col = COLUMNS[index.column()]
        if col == "Kind":
            return KIND_LABELS.get(r["kind"], r["kind"])
        if col == "Time":
            return local_text(r.get("time"))
        if col == "What":
            if r["kind"] == "alpr":
                return " ".join(str(x) for x in (r.get("plate"), r.get("state"), r.get("camera") and f"@ {r['camera']}") if x)
            return " ".join(str(x) for x in (r.get("priority") and f"P{r['priority']}", r.get("type") or r.get("name")) if x)
        if col == "Where":
            if r.get("address"):
                return str(r["address"])
            return f"{r['lat']:.5f}, {r['lon']:.5f}" if r.get("lat") is not None else ""
        if col == "Distance":
            return f"{r['distance_m']:.0f} m" if r.get("distance_m") is not None else ""
        if col == "Match":
            if r.get("substitutions") is None:
                return ""
            s = int(r["substitutions"])
            return "exact" if s == 0 else f"{s} similar char{'s' if s > 1 else ''}"
        if col == "Source":
            return str(r.get("source") or "")
        return None

    def ref_at(self, row: int) -> str | None:
        return f"{self.rows[row]['kind']}:{self.rows[row]['id']}" if 0 <= row < len(self.rows) else None


class SearchPanel(QWidget):
    """Plate / near / text search with a required reason, audited, paged.

    Wire ``recordActivated`` like the event list's (centre the map, fill the
    grid) and ``resultsReady`` to ``Bus.results_ready`` so the map shows the
    results; feed it the selection (:meth:`set_selected_record`) and map
    clicks (:meth:`set_point`).
    """

    #: Double-clicked result: "kind:id".
    recordActivated = Signal(str)
    #: A page of results is shown: (title, records). ``object``: the list travels as it is
    #: (no QVariant copy), and can be relayed to ``Bus.results_ready``.
    resultsReady = Signal(str, object)
    #: A search was refused or failed: the message shown.
    searchFailed = Signal(str)

    def __init__(
        self,
        worker: StoreWorker | None = None,
        *,
        db_path: str | Path | None = None,
        actor: str | None = None,
        page_size: int = PAGE,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._own_worker = worker is None
        self.worker = worker if worker is not None else StoreWorker(db_path, name="rtcc-search")
        self.actor = actor or current_user()
        self.page_size = page_size
        self.page = 0
        self._has_next = False
        self._current: tuple[str, Callable[[Any, int], Any]] | None = None  # (title, run(store, offset))
        self._busy = False
        self._selected_ref = ""
        self._point: tuple[float, float] | None = None

        self.reason = QLineEdit(placeholderText="case number or reason (required for plate and near searches)")
        self.reason.setClearButtonEnabled(True)
        top = QFormLayout()
        top.addRow("Reason / case no.", self.reason)

        # plate
        self.plate = QLineEdit(placeholderText="e.g. ABC1*2 or 7?XK*")
        self.similar = QCheckBox("Similar characters (0/O/D/Q, 1/I/L, 2/Z, 5/S, 8/B, 6/G)")
        self.state = QLineEdit(placeholderText="any")
        self.state.setMaxLength(8)
        self.plate_go = QPushButton("Search plates")
        pf = QFormLayout()
        pf.addRow("Plate (* any run, ? one character)", self.plate)
        pf.addRow("", self.similar)
        pf.addRow("State", self.state)
        pf.addRow("", self.plate_go)
        plate_tab = QWidget()
        plate_tab.setLayout(pf)
        self.plate.returnPressed.connect(self.search_plate)
        self.plate_go.clicked.connect(self.search_plate)

        # near
        self.from_record = QRadioButton("Selected record: (none)")
        self.from_point = QRadioButton("Map point: (none)")
        self.from_record.setChecked(True)
        self.radius = QSpinBox(minimum=10, maximum=50_000, value=300, suffix=" m", singleStep=50)
        self.minutes = QSpinBox(minimum=0, maximum=7 * 24 * 60, value=30, suffix=" min", singleStep=5)
        self.minutes.setSpecialValueText("any time")
        self.lat = QDoubleSpinBox(minimum=-90, maximum=90, decimals=6)
        self.lon = QDoubleSpinBox(minimum=-180, maximum=180, decimals=6)
        self.near_kinds = {k: QCheckBox(KIND_LABELS[k] + "s") for k in ("alpr", "gunshot", "cad")}
        for box in self.near_kinds.values():
            box.setChecked(True)
        kinds_row = QHBoxLayout()
        for box in self.near_kinds.values():
            kinds_row.addWidget(box)
        point_row = QHBoxLayout()
        point_row.addWidget(self.lat)
        point_row.addWidget(self.lon)
        self.near_go = QPushButton("What was near?")
        nf = QFormLayout()
        nf.addRow(self.from_record)
        nf.addRow(self.from_point)
        nf.addRow("Point (lat, lon)", point_row)
        nf.addRow("Radius", self.radius)
        nf.addRow("± time", self.minutes)
        nf.addRow("Show", kinds_row)
        nf.addRow("", self.near_go)
        near_tab = QWidget()
        near_tab.setLayout(nf)
        self.near_go.clicked.connect(self.search_near)
        self.lat.valueChanged.connect(self._point_edited)
        self.lon.valueChanged.connect(self._point_edited)

        # text
        self.words = QLineEdit(placeholderText="words in CAD type, address or narrative")
        self.text_go = QPushButton("Search text")
        tf = QFormLayout()
        tf.addRow("Words", self.words)
        tf.addRow("", self.text_go)
        text_tab = QWidget()
        text_tab.setLayout(tf)
        self.words.returnPressed.connect(self.search_text)
        self.text_go.clicked.connect(self.search_text)

        self.tabs = QTabWidget()
        self.tabs.addTab(plate_tab, "Plate")
        self.tabs.addTab(near_tab, "What was near")
        self.tabs.addTab(text_tab, "Text")

        self.model = ResultsModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 8)
        for i, width in enumerate((80, 150, 180, 200, 70, 110)):
            self.table.horizontalHeader().resizeSection(i, width)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.doubleClicked.connect(self._activated)

        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.prev_btn = QPushButton("◀ Previous")
        self.next_btn = QPushButton("Next ▶")
        self.page_label = QLabel("")
        self.prev_btn.clicked.connect(self.previous_page)
        self.next_btn.clicked.connect(self.next_page)
        pager = QHBoxLayout()
        pager.addWidget(self.status, 1)
        pager.addWidget(self.prev_btn)
        pager.addWidget(self.page_label)
        pager.addWidget(self.next_btn)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.tabs)
        layout.addWidget(self.table, 1)
        layout.addLayout(pager)
        self._update_pager()

    # ------------------------------------------------------------------ inputs from other views
    def set_selected_record(self, ref: str) -> None:
        """The record "what was near" starts from (``Bus.selected``)."""
        self._selected_ref = ref or ""
        self.from_record.setText(f"Selected record: {ref or '(none)'}")
        if ref:
            self.from_record.setChecked(True)

    def set_point(self, lat: float, lon: float) -> None:
        """A point picked on the map ("search around here")."""
        self._point = (float(lat), float(lon))
        self.lat.blockSignals(True)
        self.lon.blockSignals(True)
        self.lat.setValue(lat)
        self.lon.setValue(lon)
        self.lat.blockSignals(False)
        self.lon.blockSignals(False)
        self.from_point.setText(f"Map point: {lat:.5f}, {lon:.5f}")
        self.from_point.setChecked(True)
        self.tabs.setCurrentIndex(1)

    def attach_bus(self, bus: Any) -> None:
        """Selection in, results out to the map, activation to the selection."""
        bus.selected.connect(self.set_selected_record)
        self.resultsReady.connect(bus.results_ready)
        self.recordActivated.connect(bus.select)
        self.set_selected_record(bus.selection)

    def shutdown(self) -> None:
        if self._own_worker:
            self.worker.stop()

    # ------------------------------------------------------------------ searches
    def _reason_or_refuse(self, what: str) -> str | None:
        try:
            return require_reason(self.reason.text(), what)
        except ReasonRequired as exc:
            self._fail(str(exc))
            self.reason.setFocus()
            return None

    def search_plate(self) -> None:
        pattern = self.plate.text().strip()
        if not pattern:
            self._fail("enter a plate or pattern, e.g. ABC1*")
            return
        why = self._reason_or_refuse("plate search")
        if why is None:
            return
        similar, state, actor, n = self.similar.isChecked(), self.state.text().strip() or None, self.actor, self.page_size

        def run(store: Any, offset: int) -> tuple[list[dict[str, Any]], bool, str]:
            rows = audited_plate_search(store, pattern, reason=why, actor=actor, similar=similar, state=state, limit=n, offset=offset)
            return rows, len(rows) == n, f"{len(rows)} read(s)"

        self._start(f"Plate {pattern.upper()}" + (" (similar)" if similar else ""), run)

    def search_near(self) -> None:
        why = self._reason_or_refuse("'what was near' search")
        if why is None:
            return
        kinds = [k for k, box in self.near_kinds.items() if box.isChecked()]
        radius, minutes = float(self.radius.value()), self.minutes.value() or None
        actor, n = self.actor, self.page_size
        if self.from_record.isChecked():
            if not self._selected_ref:
                self._fail("select a record first (map, timeline or list), or choose a map point")
                return
            centre: dict[str, Any] = {"record": self._selected_ref}
            title = f"Near {self._selected_ref}"
        else:
            point = self._point or (self.lat.value(), self.lon.value())
            centre = {"lat": point[0], "lon": point[1]}
            title = f"Near {point[0]:.5f}, {point[1]:.5f}"

        def run(store: Any, offset: int) -> tuple[list[dict[str, Any]], bool, str]:
            res = what_was_near(store, reason=why, actor=actor, radius_m=radius, minutes=minutes, kinds=kinds,
                                limit_per_kind=n, offset=offset, **centre)
            counts = ", ".join(f"{len(v)} {KIND_LABELS[k].lower()}{'s' if len(v) != 1 else ''}" for k, v in res.groups.items())
            return res.records(), any(res.truncated.values()), counts

        self._start(f"{title}, {radius:.0f} m" + (f", ±{minutes} min" if minutes else ""), run)

    def search_text(self) -> None:
        words = self.words.text().strip()
        if not words:
            self._fail("enter words to search for")
            return
        reason = " ".join(self.reason.text().split()) or None
        actor, n = self.actor, self.page_size

        def run(store: Any, offset: int) -> tuple[list[dict[str, Any]], bool, str]:
            rows = store.text(words, limit=n, offset=offset)
            store.audit(actor, "query text", {"words": words, "limit": n, "offset": offset}, reason, len(rows))
            return rows, len(rows) == n, f"{len(rows)} incident(s)"

        self._start(f"Text “{words}”", run)

    # ------------------------------------------------------------------ paging
    def next_page(self) -> None:
        if self._current and self._has_next and not self._busy:
            self._run_page(self.page + 1)

    def previous_page(self) -> None:
        if self._current and self.page > 0 and not self._busy:
            self._run_page(self.page - 1)

    def _start(self, title: str, run: Callable[[Any, int], Any]) -> None:
        self._current = (title, run)
        self._run_page(0)

    def _run_page(self, page: int) -> None:
        assert self._current is not None
        title, run = self._current
        offset = page * self.page_size
        self._busy = True
        self.status.setText("searching…")
        self._update_pager()
        self.worker.submit(
            lambda store: run(store, offset),
            lambda res: self._shown(title, page, res),
            self._failed,
            what=f"search {title}",
        )

    def _shown(self, title: str, page: int, res: tuple[list[dict[str, Any]], bool, str]) -> None:
        rows, has_next, summary = res
        self._busy = False
        self.page = page
        self._has_next = has_next
        self.model.set_rows(rows)
        first = page * self.page_size + 1
        span = f"results {first}–{first + len(rows) - 1}" if rows else "no results"
        self.status.setText(f"{title}: {span} ({summary}); logged to the audit log")
        self._update_pager()
        self.resultsReady.emit(title, rows)

    def _failed(self, exc: BaseException) -> None:
        self._busy = False
        self._update_pager()
        self._fail(str(exc) if isinstance(exc, ValueError) else f"search failed: {exc}")

    def _fail(self, message: str) -> None:
        self.status.setText(message)
        self.searchFailed.emit(message)

    def _update_pager(self) -> None:
        self.prev_btn.setEnabled(not self._busy and self.page > 0)
        self.next_btn.setEnabled(not self._busy and self._has_next)
        self.page_label.setText(f"page {self.page + 1}" if self._current else "")

    def _point_edited(self, *_: Any) -> None:
        self._point = (self.lat.value(), self.lon.value())
        self.from_point.setText(f"Map point: {self._point[0]:.5f}, {self._point[1]:.5f}")

    def _activated(self, index: QModelIndex) -> None:
        ref = self.model.ref_at(index.row())
        if ref:
            self.recordActivated.emit(ref)
