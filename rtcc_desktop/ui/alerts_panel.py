"""The alert queue: hot-list hits and geofence events, newest on top, worked to closure.

New alerts arrive from the :class:`~rtcc_desktop.analysis.alerts.AlertEngine`
(its thread) through a queued signal, so the panel is touched only on the GUI
thread. Each one beeps and, where the desktop has a tray, pops a notification.
Acknowledge / assign / note are written through the store worker.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Final

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSystemTrayIcon,
    QVBoxLayout,
    QWidget,
)

from rtcc_desktop.analysis import alerts as A
from rtcc_desktop.identity import current_user
from rtcc_desktop.ui.display_zone import local_text
from rtcc_desktop.ui.row_model import AnyIndex, RowTableModel, row_table
from rtcc_desktop.ui.store_worker import StoreWorker

log = logging.getLogger(__name__)


COLUMNS: Final[tuple[tuple[str, str], ...]] = (
    ("Raised", "created"),
    ("Event time", "record_time"),
    ("Rule", "rule"),
    ("Alert", "summary"),
    ("State", "state"),
    ("Assigned to", "assignee"),
)
STATE_FILTERS: Final[tuple[tuple[str, tuple[str, ...] | None], ...]] = (
    ("All alerts", None),
    ("Open (new or assigned)", ("new", "assigned")),
    ("New", ("new",)),
    ("Acknowledged", ("acknowledged",)),
    ("Assigned", ("assigned",)),
)
RULE_FILTERS: Final[tuple[tuple[str, str | None], ...]] = (("Every rule", None), ("Hot lists", "hotlist"), ("Geofences", "geofence"))
STATE_COLOURS: Final[dict[str, tuple[int, int, int]]] = {"new": (200, 40, 40), "assigned": (200, 130, 30), "acknowledged": (90, 90, 90)}
MAX_ROWS: Final[int] = 2000



def _local(iso: str | None) -> str:
    return local_text(iso)


class AlertsModel(RowTableModel):
    """Alerts newest first (raised, then event time)."""

    headers = tuple(h for h, _ in COLUMNS)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.rows):
            return None
        a = self.rows[index.row()]
        key = COLUMNS[index.column()][1]
        if role == Qt.ItemDataRole.DisplayRole:
            if key in ("created", "record_time"):
                return _local(a.get(key))
            return "" if a.get(key) is None else str(a[key])
        if role == Qt.ItemDataRole.ToolTipRole:
            return a.get("summary", "") + (f"\n\nNotes:\n{a['notes']}" if a.get("notes") else "")
        if role == Qt.ItemDataRole.ForegroundRole and key == "state":
            return QBrush(QColor(*STATE_COLOURS.get(a.get("state", ""), (0, 0, 0))))
        if role == Qt.ItemDataRole.UserRole:
            return a["id"]
        return None

    def set_rows(self, rows: list[dict[str, Any]]) -> None:
        self.beginResetModel()
        self.rows = sorted(rows, key=A.newest_first_key, reverse=True)[:MAX_ROWS]
        self.endResetModel()

    def prepend(self, alerts: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Add alerts not shown yet, keep newest on top; returns the ones added."""
        have = {a["id"] for a in self.rows}
        fresh = sorted((a for a in alerts if a["id"] not in have), key=A.newest_first_key, reverse=True)
        if not fresh:
            return []
        self.beginInsertRows(QModelIndex(), 0, len(fresh) - 1)
        self.rows[0:0] = fresh
        self.endInsertRows()
        if len(self.rows) > MAX_ROWS:
            self.beginRemoveRows(QModelIndex(), MAX_ROWS, len(self.rows) - 1)
            del self.rows[MAX_ROWS:]
            self.endRemoveRows()
        return fresh

    def replace(self, alert: dict[str, Any]) -> None:
        for i, a in enumerate(self.rows):
            if a["id"] == alert["id"]:
                self.rows[i] = alert
                self.dataChanged.emit(self.index(i, 0), self.index(i, len(COLUMNS) - 1))
                return

    def row_of(self, alert_id: int) -> int | None:
        return next((i for i, a in enumerate(self.rows) if a["id"] == alert_id), None)


class AlertsPanel(QWidget):
    """The alert queue with filters and actions.

    Wire ``jumpRequested`` to the same slot as the event list's
    ``recordActivated`` (centre the map, fill the grid); call
    :meth:`attach_engine` with the running AlertEngine.
    """

    #: Double-clicked alert: its record "kind:id".
    jumpRequested = Signal(str)
    #: The analyst selected an alert: its record "kind:id" (for the selection bus).
    recordSelected = Signal(str)
    #: An alert was announced (beep / tray): its summary.
    notified = Signal(str)
    #: Number of alerts in state "new" (for a badge on the dock title).
    newCountChanged = Signal(int)
    #: The queue was (re)loaded from the store: rows shown.
    loaded = Signal(int)
    _from_engine = Signal(list)

    def __init__(
        self,
        worker: StoreWorker | None = None,
        *,
        db_path: str | Path | None = None,
        actor: str | None = None,
        tray: QSystemTrayIcon | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._own_worker = worker is None
        self.worker = worker if worker is not None else StoreWorker(db_path, name="rtcc-alerts-ui")
        self.actor = actor or current_user()
        self.tray = tray
        self._engine: Any = None
        self._listener: Any = None

        self.state_filter = QComboBox()
        for label, value in STATE_FILTERS:
            self.state_filter.addItem(label, value)
        self.rule_filter = QComboBox()
        for label, value in RULE_FILTERS:
            self.rule_filter.addItem(label, value)
        self.mute = QCheckBox("Mute")
        self.mute.setToolTip("No sound or desktop notification for new alerts")
        self.count_label = QLabel("")
        top = QHBoxLayout()
        top.addWidget(self.state_filter)
        top.addWidget(self.rule_filter)
        top.addStretch(1)
        top.addWidget(self.count_label)
        top.addWidget(self.mute)

        self.model = AlertsModel(self)
        self.table = row_table(self.model)
        for i, width in enumerate((150, 150, 170, 420, 100)):
            self.table.horizontalHeader().resizeSection(i, width)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self._syncing_selection = False
        self.table.doubleClicked.connect(self._double_clicked)
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)

        self.ack_btn = QPushButton("Acknowledge")
        self.assignee = QLineEdit(placeholderText="unit or person")
        self.assign_btn = QPushButton("Assign")
        self.note = QLineEdit(placeholderText="note")
        self.note_btn = QPushButton("Add note")
        self.message = QLabel("")
        actions = QHBoxLayout()
        for w in (self.ack_btn, self.assignee, self.assign_btn, self.note, self.note_btn):
            actions.addWidget(w)
        self.ack_btn.clicked.connect(self.acknowledge_selected)
        self.assign_btn.clicked.connect(self.assign_selected)
        self.assignee.returnPressed.connect(self.assign_selected)
        self.note_btn.clicked.connect(self.note_selected)
        self.note.returnPressed.connect(self.note_selected)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addLayout(actions)
        layout.addWidget(self.message)

        self._from_engine.connect(self.add_alerts, Qt.ConnectionType.QueuedConnection)
        self.state_filter.currentIndexChanged.connect(self.refresh)
        self.rule_filter.currentIndexChanged.connect(self.refresh)
        self.refresh()

    # ------------------------------------------------------------------ wiring
    def attach_engine(self, engine: Any) -> None:
        """Receive the engine's new alerts (called on its thread; re-emitted to the GUI thread)."""
        self.detach_engine()
        self._engine = engine
        self._listener = lambda alerts: self._from_engine.emit(list(alerts))
        engine.subscribe(self._listener)

    def detach_engine(self) -> None:
        if self._engine is not None and self._listener is not None:
            self._engine.unsubscribe(self._listener)
        self._engine = self._listener = None

    def set_tray(self, tray: QSystemTrayIcon | None) -> None:
        self.tray = tray

    def shutdown(self) -> None:
        self.detach_engine()
        if self._own_worker:
            self.worker.stop()

    # ------------------------------------------------------------------ data
    def _filters(self) -> tuple[tuple[str, ...] | None, str | None]:
        return self.state_filter.currentData(), self.rule_filter.currentData()

    def _passes(self, alert: dict[str, Any]) -> bool:
        states, rule = self._filters()
        return (states is None or alert.get("state") in states) and (rule is None or str(alert.get("rule", "")).startswith(rule + ":"))

    def refresh(self, *_: Any) -> None:
        """Reload the queue from the store (filters applied in SQL)."""
        states, rule = self._filters()

        def job(store: Any) -> tuple[list[dict[str, Any]], dict[str, int]]:
            return A.list_alerts(store, states=states, rule_kind=rule, limit=MAX_ROWS), A.alert_counts(store)

        self.worker.submit(job, self._loaded, self._failed, what="alerts")

    def _loaded(self, res: tuple[list[dict[str, Any]], dict[str, int]]) -> None:
        rows, counts = res
        keep = self.selected_alert()
        self.model.set_rows(rows + [a for a in self.model.rows if a["id"] not in {r["id"] for r in rows} and self._passes(a)])
        if keep is not None:
            self._syncing_selection = True  # a reload must not drop what the user is working on (nor re-announce it)
            try:
                self.select_alert(keep["id"])
            finally:
                self._syncing_selection = False
        self._show_counts(counts)
        self.loaded.emit(self.model.rowCount())

    def _show_counts(self, counts: dict[str, int]) -> None:
        self.count_label.setText(f"{counts.get('new', 0)} new · {counts.get('assigned', 0)} assigned")
        self.newCountChanged.emit(counts.get("new", 0))

    def add_alerts(self, alerts: list[dict[str, Any]]) -> None:
        """New alerts (GUI thread): show those the filters pass, announce each one."""
        shown = self.model.prepend([a for a in alerts if self._passes(a)])
        for a in alerts:
            self._announce(a)
        if alerts:
            self.worker.submit(lambda store: A.alert_counts(store), self._show_counts, self._failed, what="alert counts")
        if shown:
            self.table.scrollToTop()

    def _announce(self, alert: dict[str, Any]) -> None:
        text = str(alert.get("summary") or alert.get("rule"))
        if not self.mute.isChecked():
            QApplication.beep()
            if self.tray is None and QSystemTrayIcon.isSystemTrayAvailable() and not QApplication.windowIcon().isNull():
                self.tray = QSystemTrayIcon(QApplication.windowIcon(), self)
                self.tray.show()
            if self.tray is not None and QSystemTrayIcon.supportsMessages():
                icon = QSystemTrayIcon.MessageIcon.Critical if alert.get("severity") == "high" else QSystemTrayIcon.MessageIcon.Warning
                self.tray.showMessage("RTCC alert", text, icon, 10_000)
        self.notified.emit(text)

    # ------------------------------------------------------------------ actions
    def selected_alert(self) -> dict[str, Any] | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        return self.model.rows[rows[0].row()]

    def select_alert(self, alert_id: int) -> bool:
        row = self.model.row_of(alert_id)
        if row is None:
            return False
        self.table.selectRow(row)
        return True

    def _act(self, what: str, fn: Any) -> None:
        alert = self.selected_alert()
        if alert is None:
            self.message.setText("select an alert first")
            return
        aid = alert["id"]
        self.worker.submit(lambda store: (fn(store, aid), A.alert_counts(store)), self._acted, self._failed, what=what)

    def acknowledge_selected(self) -> None:
        actor = self.actor
        self._act("acknowledge", lambda store, aid: A.acknowledge(store, aid, actor))

    def assign_selected(self) -> None:
        who, actor = self.assignee.text(), self.actor
        if not who.strip():
            self.message.setText("type the unit or person to assign the alert to")
            return
        self._act("assign", lambda store, aid: A.assign(store, aid, who, actor))
        self.assignee.clear()

    def note_selected(self) -> None:
        text, actor = self.note.text(), self.actor
        if not text.strip():
            self.message.setText("type a note first")
            return
        self._act("note", lambda store, aid: A.add_note(store, aid, text, actor))
        self.note.clear()

    def _acted(self, res: tuple[dict[str, Any], dict[str, int]]) -> None:
        alert, counts = res
        self.model.replace(alert)
        self._show_counts(counts)
        self.message.setText(f"alert {alert['id']}: {alert['state']}" + (f", assigned to {alert['assignee']}" if alert.get("assignee") else ""))
        if not self._passes(alert):
            self.refresh()

    def _failed(self, exc: BaseException) -> None:
        self.message.setText(str(exc))
        log.warning("alerts panel: %s", exc)

    def select_record(self, ref: str) -> None:
        """Selection from the bus: select that record's newest alert, if it has one (else keep the selection)."""
        row = next((i for i, a in enumerate(self.model.rows) if a.get("record") == ref), None) if ref else None
        if row is None:
            return
        self._syncing_selection = True
        try:
            self.table.selectRow(row)
            self.table.scrollTo(self.model.index(row, 0))
        finally:
            self._syncing_selection = False

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if self._syncing_selection or not 0 <= current.row() < len(self.model.rows):
            return
        ref = self.model.rows[current.row()].get("record")
        if ref:
            self.recordSelected.emit(str(ref))

    def _double_clicked(self, index: QModelIndex) -> None:
        alert = self.model.rows[index.row()] if 0 <= index.row() < len(self.model.rows) else None
        if alert:
            self.jumpRequested.emit(alert["record"])
