"""NumPy views of LAMMPS's arrays for the per-evaluation path, made once and reused.

The LAMMPS Python module builds new NumPy arrays, through several ctypes casts, each time
an array is asked for, and its ``fix external`` wrapper does so three times per call. At
one callback per evaluation that is a large share of a small system's step. :class:`Views`
asks LAMMPS's C library for an array's address (one call) and makes a new view only when
LAMMPS has moved the array; :meth:`Views.set_fix_external_callback` hands the callback
such views.

It calls the same C functions as the module, through its own function prototypes (the
module sets the result type of ``lammps_extract_atom`` anew for each call).
"""

from __future__ import annotations

import ctypes
from typing import Any, Callable

import numpy as np

#: LAMMPS's constants for per-atom data of a compute (``LMP_STYLE_ATOM``, ``LMP_TYPE_VECTOR``)
_STYLE_ATOM, _TYPE_VECTOR = 1, 1

#: handler(tags (n,), x (n, 3), fext (n, 3)) for the n local atoms; views valid during the call
ExternalHandler = Callable[[np.ndarray, np.ndarray, np.ndarray], None]


def _integer(size: int) -> type:
    return {4: ctypes.c_int32, 8: ctypes.c_int64}[size]


class Views:
    """Reusable NumPy views of one LAMMPS instance's per-atom arrays."""

    def __init__(self, lmp: Any):
        self._lmp = lmp
        self._lib = ctypes.CDLL(lmp.lib._name)
        self._lib.lammps_extract_atom.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
        self._lib.lammps_extract_atom.restype = ctypes.c_void_p
        self._lib.lammps_extract_compute.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_int]
        self._lib.lammps_extract_compute.restype = ctypes.c_void_p
        self._tagint = _integer(lmp.extract_setting("tagint"))
        self._imageint = _integer(lmp.extract_setting("imageint"))
        self._callback = ctypes.CFUNCTYPE(None, ctypes.c_void_p, _integer(lmp.extract_setting("bigint")), ctypes.c_int,
                                          ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p)
        self._lib.lammps_set_fix_external_callback.argtypes = [ctypes.c_void_p, ctypes.c_char_p, self._callback, ctypes.c_void_p]
        self._lib.lammps_set_fix_external_callback.restype = None
        self._cache: dict[Any, tuple[int, np.ndarray]] = {}
        self._registered: dict[str, Any] = {}  # the ctypes callbacks, alive as long as LAMMPS may call them
        self._caller = ctypes.c_int(0)

    def _view(self, key: Any, address: int | None, shape: tuple[int, ...], ctype: type) -> np.ndarray:
        cached = self._cache.get(key)
        if cached is not None and cached[0] == address and cached[1].shape == shape:
            return cached[1]
        if not address:
            raise RuntimeError(f"LAMMPS holds no array {key[0]!r} now")
        array = np.ctypeslib.as_array(ctypes.cast(address, ctypes.POINTER(ctype)), shape=shape)
        self._cache[key] = (address, array)
        return array

    def _rows(self, name: str, rows: int, columns: int, ctype: type) -> np.ndarray:
        """Per-atom array ``name``: a vector when ``columns`` is 0, else a 2-d array (double**)."""
        pointer = self._lib.lammps_extract_atom(self._lmp.lmp, name.encode())
        if columns and pointer:
            pointer = ctypes.c_void_p.from_address(pointer).value  # the rows are contiguous from the first
        return self._view((name, "atom"), pointer, (rows, columns) if columns else (rows,), ctype)

    def positions(self, rows: int) -> np.ndarray:
        return self._rows("x", rows, 3, ctypes.c_double)

    def forces(self, rows: int) -> np.ndarray:
        return self._rows("f", rows, 3, ctypes.c_double)

    def ids(self, rows: int) -> np.ndarray:
        return self._rows("id", rows, 0, self._tagint)

    def images(self, rows: int) -> np.ndarray:
        return self._rows("image", rows, 0, self._imageint)

    def masks(self, rows: int) -> np.ndarray:
        """Group membership bits per atom."""
        return self._rows("mask", rows, 0, ctypes.c_int32)

    def compute_per_atom(self, compute_id: str, rows: int) -> np.ndarray:
        """The per-atom vector of compute ``compute_id`` (as computed last)."""
        pointer = self._lib.lammps_extract_compute(self._lmp.lmp, compute_id.encode(), _STYLE_ATOM, _TYPE_VECTOR)
        return self._view((compute_id, "compute"), pointer, (rows,), ctypes.c_double)

    def set_fix_external_callback(self, fix_id: str, handler: ExternalHandler) -> None:
        """Call ``handler(tags, x, fext)`` at each call of ``fix external`` ``fix_id`` (pf/callback)."""

        def call(_caller: int | None, _step: int, nlocal: int, tags: int, x: int, fext: int) -> None:
            handler(self._view((fix_id, "tags"), tags, (nlocal,), self._tagint),
                    self._view((fix_id, "x"), ctypes.c_void_p.from_address(x).value, (nlocal, 3), ctypes.c_double),
                    self._view((fix_id, "fext"), ctypes.c_void_p.from_address(fext).value, (nlocal, 3), ctypes.c_double))

        self._registered[fix_id] = self._callback(call)
        # LAMMPS takes a callback with a null caller pointer for none: hand it one it can pass back
        self._lib.lammps_set_fix_external_callback(self._lmp.lmp, fix_id.encode(), self._registered[fix_id],
                                                   ctypes.addressof(self._caller))
