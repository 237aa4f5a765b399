"""Geofences drawn on the live map: the list, and the steps from a drawn shape to a live rule.

The map page draws the shape (``MapView.draw_geofence``); Python checks what
the page sent (``analysis.geofence.parse_drawn``), asks for a name and what
should alert, and saves it on the store worker with an audit entry. The alert
engine sees the new fence on its next batch (it reloads fences whenever their
version changes), so the next gunshot or urgent call inside it alerts.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from rtcc_desktop.analysis import geofence as G
from rtcc_desktop.identity import current_user
from rtcc_desktop.ui.display_zone import local_text
from rtcc_desktop.ui.row_model import AnyIndex, RowTableModel, row_table
from rtcc_desktop.ui.store_worker import StoreWorker

log = logging.getLogger(__name__)

COLUMNS: Final[tuple[str, ...]] = ("Name", "Shape", "Alerts on", "Enabled", "Created by", "Created")
MAX_NAME: Final[int] = 80



def _local(iso: str | None) -> str:
    return local_text(iso, "%Y-%m-%d %H:%M")


def shape_text(shape: str, points: int = 0, radius_m: float | None = None) -> str:
    """"Polygon, 5 points" / "Circle, radius 350 m"."""
    if shape == "circle":
        r = float(radius_m or 0)
        return f"Circle, radius {r:.0f} m" if r < 1000 else f"Circle, radius {r / 1000:.2f} km"
    return f"Polygon, {points} points"


def fence_shape_text(fence: G.Geofence) -> str:
    return shape_text(fence.shape, len(fence.points), fence.radius_m)


def _confirm(parent: QWidget, title: str, text: str) -> bool:
    answer = QMessageBox.question(parent, title, text, QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                  QMessageBox.StandardButton.No)
    return answer == QMessageBox.StandardButton.Yes


def _ask_text(parent: QWidget, title: str, label: str, value: str) -> str | None:
    text, ok = QInputDialog.getText(parent, title, label, QLineEdit.EchoMode.Normal, value)
    return text if ok else None


class GeofenceModel(RowTableModel):
    """One row per fence (``{"fence": Geofence}``), by name."""

    headers = COLUMNS

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.rows):
            return None
        f: G.Geofence = self.rows[index.row()]["fence"]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (f.name, fence_shape_text(f), G.describe_rule(f), "yes" if f.active else "no",
                    f.created_by or "", _local(f.created))[col]
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{f.name}\n{fence_shape_text(f)}\nAlerts on {G.describe_rule(f)}" + ("" if f.active else "\n(disabled)")
        if role == Qt.ItemDataRole.UserRole:
            return f.name
        return None

    def set_fences(self, fences: list[G.Geofence]) -> None:
        self.beginResetModel()
        self.rows = [{"fence": f} for f in fences]
        self.endResetModel()

    def fences(self) -> list[G.Geofence]:
        return [r["fence"] for r in self.rows]

    def row_of(self, name: str) -> int | None:
        return next((i for i, r in enumerate(self.rows) if r["fence"].name == name), None)


class FenceDialog(QDialog):
    """Name a drawn fence and say what inside it should alert."""

    def __init__(self, shape: dict[str, Any], default_name: str, *, error: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New geofence")
        self.shape = shape
        self.name = QLineEdit(default_name)
        self.name.setMaxLength(MAX_NAME)
        self.name.selectAll()
        self.gunshots = QCheckBox("Gunshot detections")
        self.gunshots.setChecked("gunshot" in G.DEFAULT_KINDS)
        self.cad = QCheckBox("CAD incidents at priority")
        self.cad.setChecked("cad" in G.DEFAULT_KINDS)
        self.priority = QSpinBox()
        self.priority.setRange(1, 9)
        self.priority.setPrefix("P1 – P")
        self.priority.setValue(G.DEFAULT_MAX_PRIORITY)
        self.priority.setToolTip("Incidents this urgent or more (1 is most urgent) alert")
        self.enabled = QCheckBox("Enabled (alerts from now on)")
        self.enabled.setChecked(True)
        cad_row = QHBoxLayout()
        cad_row.addWidget(self.cad)
        cad_row.addWidget(self.priority)
        cad_row.addStretch(1)
        self.error = QLabel(error)
        self.error.setObjectName("errorLabel")
        self.error.setWordWrap(True)
        self.error.setVisible(bool(error))
        form = QFormLayout(self)
        pts = shape.get("points") or []
        form.addRow("Shape", QLabel(shape_text(str(shape.get("shape")), len(pts), shape.get("radius_m"))))
        form.addRow("Name", self.name)
        form.addRow("Alert on", self.gunshots)
        form.addRow("", cad_row)
        form.addRow("", self.enabled)
        form.addRow(self.error)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form.addRow(self.buttons)
        for signal in (self.name.textChanged, self.gunshots.toggled, self.cad.toggled):
            signal.connect(self._check)
        self._check()

    def _check(self, *_: Any) -> None:
        ok = bool(self.name.text().strip()) and (self.gunshots.isChecked() or self.cad.isChecked())
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(ok)
        self.priority.setEnabled(self.cad.isChecked())

    def values(self) -> dict[str, Any]:
        kinds = tuple(k for k, box in (("gunshot", self.gunshots), ("cad", self.cad)) if box.isChecked())
        return {"name": self.name.text().strip(), "kinds": kinds, "max_priority": self.priority.value(),
                "active": self.enabled.isChecked()}


class GeofencePanel(QWidget):
    """The fences in the store, with draw / rename / enable / delete / show on map.

    Call :meth:`attach_map` with the main window's :class:`MapView`. Writes go
    through the store worker; create, rename, enable/disable and delete are audited.
    """

    #: Something for the status bar.
    message = Signal(str)
    #: The list was (re)loaded: number of fences.
    loaded = Signal(int)
    #: A fence was saved from a drawn shape: its name.
    saved = Signal(str)

    def __init__(self, worker: StoreWorker | None = None, *, db_path: str | Path | None = None, actor: str | None = None,
                 map_view: Any = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._own_worker = worker is None
        self.worker = worker if worker is not None else StoreWorker(db_path, name="rtcc-geofence-ui")
        self.actor = actor or current_user()
        self.map_view: Any = None
        self.dialog: FenceDialog | None = None
        self._reselect: str | None = None  # select this fence after the next reload (a renamed or new one)
        #: Hooks a test can replace (they would block otherwise): yes/no, and a line of text.
        self.confirm: Callable[[QWidget, str, str], bool] = _confirm
        self.ask_text: Callable[[QWidget, str, str, str], str | None] = _ask_text

        self.draw_polygon_btn = QPushButton("Draw polygon")
        self.draw_circle_btn = QPushButton("Draw circle")
        self.cancel_btn = QPushButton("Cancel drawing")
        self.draw_polygon_btn.setToolTip("Click the corners on the map; double-click, Enter or click the first corner to finish")
        self.draw_circle_btn.setToolTip("Click the centre on the map, then click again to set the radius")
        self.cancel_btn.setEnabled(False)
        top = QHBoxLayout()
        for b in (self.draw_polygon_btn, self.draw_circle_btn, self.cancel_btn):
            top.addWidget(b)
        top.addStretch(1)

        self.model = GeofenceModel(self)
        self.table = row_table(self.model)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        for i, width in enumerate((160, 150, 170, 70, 100)):
            self.table.horizontalHeader().resizeSection(i, width)
        self.table.doubleClicked.connect(self._double_clicked)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._update_buttons())

        self.show_btn = QPushButton("Show on map")
        self.rename_btn = QPushButton("Rename…")
        self.toggle_btn = QPushButton("Disable")
        self.delete_btn = QPushButton("Delete…")
        actions = QHBoxLayout()
        for b in (self.show_btn, self.rename_btn, self.toggle_btn, self.delete_btn):
            actions.addWidget(b)
        actions.addStretch(1)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.PlainText)  # names are the analyst's text: never markup

        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addLayout(actions)
        layout.addWidget(self.status)

        self.draw_polygon_btn.clicked.connect(lambda: self.draw("polygon"))
        self.draw_circle_btn.clicked.connect(lambda: self.draw("circle"))
        self.cancel_btn.clicked.connect(self.cancel_draw)
        self.show_btn.clicked.connect(self.show_selected)
        self.rename_btn.clicked.connect(self.rename_selected)
        self.toggle_btn.clicked.connect(self.toggle_selected)
        self.delete_btn.clicked.connect(self.delete_selected)
        if map_view is not None:
            self.attach_map(map_view)
        self._update_buttons()
        self.refresh()

    # ------------------------------------------------------------------ wiring
    def attach_map(self, map_view: Any) -> None:
        """Draw on this MapView and show the fences on its "Geofences" layer."""
        self.map_view = map_view
        map_view.geofence_drawn.connect(self._drawn)
        map_view.geofence_rejected.connect(self._rejected)
        map_view.geofence_draw_cancelled.connect(self._draw_cancelled)
        map_view.geofence_draw_started.connect(lambda _shape: self._update_buttons())
        map_view.geofence_delete_requested.connect(self.delete_named)
        map_view.set_geofences(self.model.fences())

    def shutdown(self) -> None:
        if self.dialog is not None:
            self.dialog.reject()
        if self._own_worker:
            self.worker.stop()

    def _say(self, text: str) -> None:
        self.status.setText(text)
        self.message.emit(text)

    # ------------------------------------------------------------------ data
    def refresh(self, *_: Any) -> None:
        """Reload the fences from the store (and redraw them on the map)."""
        self.worker.submit(lambda store: G.list_geofences(store), self._loaded, self._failed, what="geofences")

    def _loaded(self, fences: list[G.Geofence]) -> None:
        keep = self._reselect or (f.name if (f := self.selected()) is not None else None)
        self._reselect = None
        self.model.set_fences(fences)
        if keep is not None:
            self.select(keep)
        if self.map_view is not None:
            self.map_view.set_geofences(fences)
        self._update_buttons()
        self.loaded.emit(len(fences))

    def _failed(self, exc: BaseException) -> None:
        log.warning("geofence panel: %s", exc)
        self._say(str(exc))

    def selected(self) -> G.Geofence | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.rows[rows[0].row()]["fence"] if rows and rows[0].row() < len(self.model.rows) else None

    def select(self, name: str) -> bool:
        row = self.model.row_of(name)
        if row is None:
            return False
        self.table.selectRow(row)
        return True

    def _update_buttons(self) -> None:
        f = self.selected()
        for b in (self.show_btn, self.rename_btn, self.toggle_btn, self.delete_btn):
            b.setEnabled(f is not None)
        self.toggle_btn.setText("Enable" if f is not None and not f.active else "Disable")
        has_map = self.map_view is not None
        self.draw_polygon_btn.setEnabled(has_map)
        self.draw_circle_btn.setEnabled(has_map)
        self.cancel_btn.setEnabled(has_map and bool(self.map_view.drawing))

    # ------------------------------------------------------------------ drawing
    def draw(self, shape: str) -> None:
        """Start drawing a polygon or circle on the map."""
        if self.map_view is None:
            self._say("There is no map to draw on")
            return
        self.map_view.draw_geofence(shape)
        if shape == "polygon":
            self._say("Click the corners of the geofence on the map; double-click, press Enter or click the first "
                      "corner to finish; Backspace removes the last corner; Esc cancels.")
        else:
            self._say("Click the centre of the geofence on the map, then click again to set the radius; Esc cancels.")
        self._update_buttons()

    def cancel_draw(self) -> None:
        if self.map_view is not None:
            self.map_view.cancel_geofence_draw()
        self._update_buttons()

    def _draw_cancelled(self) -> None:
        self._say("Drawing cancelled: no geofence saved")
        self._update_buttons()

    def _rejected(self, text: str) -> None:
        self._say(text)
        self._update_buttons()

    def default_name(self) -> str:
        names = {f.name for f in self.model.fences()}
        n = len(names) + 1
        while f"Fence {n}" in names:
            n += 1
        return f"Fence {n}"

    def _drawn(self, shape: dict[str, Any], error: str = "", name: str | None = None) -> None:
        """A checked shape from the map: ask for its name and rule (the dialog does not block the app)."""
        self._update_buttons()
        if self.dialog is not None:  # one at a time: a second shape replaces the first question
            self.dialog.finished.disconnect()
            self.dialog.reject()
        dlg = FenceDialog(shape, name or self.default_name(), error=error, parent=self)
        dlg.finished.connect(lambda result, d=dlg: self._named(d, result))
        self.dialog = dlg
        dlg.open()

    def _named(self, dlg: FenceDialog, result: int) -> None:
        if self.dialog is dlg:
            self.dialog = None
        dlg.deleteLater()
        if result != QDialog.DialogCode.Accepted:
            self.cancel_draw()
            self._say("Geofence not saved")
            return
        v = dlg.values()
        try:
            fence = G.fence_from_drawn(v["name"], dlg.shape, kinds=v["kinds"], max_priority=v["max_priority"], active=v["active"])
        except G.GeofenceError as exc:
            self._drawn(dlg.shape, error=str(exc), name=v["name"])
            return
        self.create(fence, shape=dlg.shape)

    def create(self, fence: G.Geofence, *, shape: dict[str, Any] | None = None) -> None:
        """Save a new fence on the worker, with an audit entry (a taken name asks again)."""
        actor = self.actor
        params = {"name": fence.name, "shape": fence.shape, "kinds": list(fence.kinds), "max_priority": fence.max_priority,
                  "active": fence.active}
        if fence.center is not None:
            params.update(center=list(fence.center), radius_m=round(float(fence.radius_m or 0), 1))
        else:
            params["points"] = [list(p) for p in fence.points]

        def job(store: Any) -> G.Geofence:
            saved = G.add_geofence(store, fence, created_by=actor)
            store.audit(actor, "geofence create", params, None, 1)
            return saved

        def done(saved: G.Geofence) -> None:
            self._say(f"Geofence \u201c{saved.name}\u201d saved: {G.describe_rule(saved)} inside it will alert"
                      + ("" if saved.active else " once it is enabled"))
            self.saved.emit(saved.name)
            self._reselect = saved.name
            self.refresh()

        def failed(exc: BaseException) -> None:
            if isinstance(exc, G.GeofenceError) and shape is not None:
                self._drawn(shape, error=str(exc), name=fence.name)  # e.g. the name is taken: ask again
            else:
                self.cancel_draw()
            self._failed(exc)

        self.worker.submit(job, done, failed, what="save geofence")

    # ------------------------------------------------------------------ list actions
    def show_selected(self) -> None:
        f = self.selected()
        if f is not None and self.map_view is not None:
            self.map_view.show_geofence(f.name)

    def _double_clicked(self, index: QModelIndex) -> None:
        if 0 <= index.row() < len(self.model.rows) and self.map_view is not None:
            self.map_view.show_geofence(self.model.rows[index.row()]["fence"].name)

    def _change(self, what: str, job: Callable[[Any], Any], done_text: str, *, select: str | None = None) -> None:
        def done(_res: Any) -> None:
            self._say(done_text)
            self._reselect = select
            self.refresh()

        self.worker.submit(job, done, self._failed, what=what)

    def rename_selected(self) -> None:
        f = self.selected()
        if f is None:
            return
        text = self.ask_text(self, "Rename geofence", "New name:", f.name)
        new = (text or "").strip()[:MAX_NAME]
        if not new or new == f.name:
            return
        old, actor = f.name, self.actor

        def job(store: Any) -> bool:
            if not G.rename_geofence(store, old, new):
                raise G.GeofenceError(f"there is no geofence called {old!r}")
            store.audit(actor, "geofence rename", {"name": old, "new_name": new}, None, 1)
            return True

        self._change("rename geofence", job, f"Geofence \u201c{old}\u201d renamed \u201c{new}\u201d", select=new)

    def toggle_selected(self) -> None:
        f = self.selected()
        if f is None:
            return
        name, on, actor = f.name, not f.active, self.actor

        def job(store: Any) -> bool:
            if not G.set_active(store, name, on):
                raise G.GeofenceError(f"there is no geofence called {name!r}")
            store.audit(actor, "geofence enable" if on else "geofence disable", {"name": name}, None, 1)
            return True

        self._change("enable geofence", job, f"Geofence \u201c{name}\u201d " + ("enabled" if on else "disabled: it no longer alerts"))

    def delete_selected(self) -> None:
        f = self.selected()
        if f is not None:
            self.delete_named(f.name)

    def delete_named(self, name: str) -> None:
        """Delete a fence after asking (from the list, or the fence's popup on the map)."""
        fence = next((f for f in self.model.fences() if f.name == name), None)
        if fence is None:
            self._say(f"There is no geofence called \u201c{name}\u201d")
            return
        if not self.confirm(self, "Delete geofence",
                            f"Delete the geofence \u201c{name}\u201d? It will no longer alert; its past alerts stay."):
            return
        actor, shape = self.actor, fence.shape

        def job(store: Any) -> bool:
            if not G.delete_geofence(store, name):
                raise G.GeofenceError(f"there is no geofence called {name!r}")
            store.audit(actor, "geofence delete", {"name": name, "shape": shape}, None, 1)
            return True

        self._change("delete geofence", job, f"Geofence \u201c{name}\u201d deleted")
