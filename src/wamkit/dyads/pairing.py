"""Which client score is compared with which professional score, and the pairing of their rows.

:func:`resolve_pairs` decides the score pairs of two forms: a subscale with the same id
and the same name on both forms, or a pair declared in the study (``pairs:``, client
subscale id -> professional subscale id, e.g. ``reactance: loss_of_energy``). A subscale
with the same id but a different name on the two forms is refused (it would silently
compare two different things).

:func:`pair_dyads` then puts the client and professional scores of the same dyad and wave
side by side and lists the rows without a partner.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from wamkit.dyads.frames import (
    check_keys_present,
    duplicate_error,
    float_block,
    records,
    require_columns,
    row_numbers,
    rows_text,
)
from wamkit.errors import MAX_LISTED_PROBLEMS, DataError, UsageError
from wamkit.results import to_jsonable

__all__ = ["PAIR_COLUMNS", "UNPAIRED_COLUMNS", "DyadPairing", "ScorePair", "pair_dyads", "pair_id", "resolve_pairs"]

PAIR_COLUMNS = ["dyad", "wave", "subscale", "client", "professional", "difference", "abs_difference"]
UNPAIRED_COLUMNS = ["dyad", "wave", "rater", "row"]


def pair_id(client: str, professional: str) -> str:
    """The id of a score pair: the common id, or ``client/professional`` for two different ids."""
    return client if client == professional else f"{client}/{professional}"


@dataclass(frozen=True)
class ScorePair:
    """A client score and the professional score it is compared with.

    Attributes
    ----------
    id : str
        :func:`pair_id` of the two (the ``subscale`` value in pairs and agreement tables).
    client, professional : str
        Score ids on the client and on the professional form.
    kind : str
        ``subscale`` or ``total``.
    higher_is_better : bool
        The direction both scores share.
    declared : bool
        The pair comes from a ``pairs`` mapping (not from matching ids).
    """

    id: str
    client: str
    professional: str
    kind: str
    higher_is_better: bool
    declared: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "client": self.client,
            "professional": self.professional,
            "kind": self.kind,
            "higher_is_better": self.higher_is_better,
            "declared": self.declared,
        }


def _scores(ins: Any) -> dict[str, tuple[str, str, bool]]:
    """Score id -> (name, kind, higher_is_better) of one instrument."""
    out = {s.id: (s.name or s.id, "subscale", bool(s.higher_is_better)) for s in ins.subscales}
    out.update({t.id: (t.name or t.id, "total", True) for t in ins.totals})
    return out


def resolve_pairs(
    client: Any, professional: Any, declared: Mapping[str, str] | None = None, *, study: Any = None
) -> tuple[ScorePair, ...]:
    """The score pairs of a client and a professional instrument, in client-form order.

    Parameters
    ----------
    client, professional : Instrument
        The two forms (may be the same instrument).
    declared : mapping client score id -> professional score id, optional
        Pairs declared in the study (``pairs:``); the other scores pair by id when their
        names agree too.
    study : Study, optional
        Where ``declared`` comes from: errors then name the study file's line.

    Raises
    ------
    UsageError (StudyError with a study file)
        A declared id is not a score of its form, a professional score is declared twice,
        the two scores of a pair point in opposite directions or are of different kinds,
        or a score id is on both forms with different names (the message says how to
        declare the pair).
    """
    cs, ps = _scores(client), _scores(professional)
    declared = dict(declared or {})

    def fail(msg: str, *key: str) -> Exception:
        if study is not None and study.path is not None:
            return study.error(msg, "pairs", *key)
        return UsageError(f"pairs: {msg}")

    targets: dict[str, str] = {}
    for c, p in declared.items():
        if c not in cs:
            raise fail(f"'{c}' is not a score of the client form {client.id} ({', '.join(cs)})", c)
        if p not in ps:
            raise fail(f"'{p}' is not a score of the professional form {professional.id} ({', '.join(ps)})", c)
        if p in targets:
            raise fail(f"professional score '{p}' is paired with both '{targets[p]}' and '{c}'", c)
        targets[p] = c
    out = []
    for c, (c_name, c_kind, c_hib) in cs.items():
        if c in declared:
            p = declared[c]
        elif c in ps and c not in targets:
            p = c
            if c_name.strip().casefold() != ps[c][0].strip().casefold():
                raise fail(
                    f"score '{c}' is named '{c_name}' on the client form ({client.id}) but '{ps[c][0]}' on "
                    f"the professional form ({professional.id}); if both measure the same, declare the pair "
                    f"(pairs: {{{c}: {c}}}), otherwise give them different ids"
                )
        else:
            continue
        _p_name, p_kind, p_hib = ps[p]
        if c_hib != p_hib:
            raise fail(
                f"'{c}' ({'higher is better' if c_hib else 'higher is worse'}) and '{p}' "
                f"({'higher is better' if p_hib else 'higher is worse'}) point in opposite directions",
                c,
            )
        if c_kind != p_kind:
            raise fail(f"'{c}' is a {c_kind} but '{p}' is a {p_kind}; pair subscales with subscales", c)
        out.append(
            ScorePair(
                id=pair_id(c, p), client=c, professional=p, kind=c_kind, higher_is_better=c_hib, declared=c in declared
            )
        )
    return tuple(out)


# --------------------------------------------------------------------------- pairing rows


@dataclass(frozen=True)
class DyadPairing:
    """Client and professional scores of the same dyad and wave, side by side.

    Attributes
    ----------
    pairs : pandas.DataFrame
        One row per paired (dyad, wave) and score pair, columns ``dyad, wave, subscale``
        (the pair id), ``client, professional, difference`` (client − professional) and
        ``abs_difference``. Scores may be NaN (not scorable); the difference is then NaN
        too. ``wave`` is ``None`` when pairing without waves.
    unpaired : pandas.DataFrame
        Rows whose partner is missing: ``dyad, wave, rater`` (``client`` / ``professional``)
        and ``row`` (1-based data row).
    subscales : tuple of str
        The pair ids, in order.
    score_pairs : tuple of (str, str)
        (client score, professional score) of each pair id.
    client_only, professional_only : tuple of str
        Scores on one form only (not paired).
    n_pairs : int
        Number of paired (dyad, wave) combinations.
    warnings : tuple of str
    """

    pairs: pd.DataFrame
    unpaired: pd.DataFrame
    subscales: tuple[str, ...]
    client_only: tuple[str, ...]
    professional_only: tuple[str, ...]
    n_pairs: int
    warnings: tuple[str, ...] = ()
    score_pairs: tuple[tuple[str, str], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return to_jsonable(
            {
                "pairs": records(self.pairs),
                "unpaired": records(self.unpaired),
                "subscales": self.subscales,
                "score_pairs": [list(p) for p in self.score_pairs],
                "client_only": self.client_only,
                "professional_only": self.professional_only,
                "n_pairs": self.n_pairs,
                "warnings": self.warnings,
            }
        )


def _which_pairs(sub_c: list[str], sub_p: list[str], pairs: Mapping[str, str] | None) -> list[tuple[str, str]]:
    if pairs is None:
        set_p = set(sub_p)
        return [(s, s) for s in sub_c if s in set_p]
    bad = [f"{c} -> {p}" for c, p in pairs.items() if c not in sub_c or p not in sub_p]
    if bad:
        raise UsageError(f"pair_dyads: pairs name score(s) not on the forms: {', '.join(bad)}")
    return [(c, pairs[c]) for c in sub_c if c in pairs]


def _roles(
    scores: pd.DataFrame, rater: str, rows: np.ndarray, client_value: Any, professional_value: Any
) -> tuple[np.ndarray, np.ndarray]:
    role = scores[rater]
    is_c = (role == client_value).to_numpy(dtype=bool, na_value=False)
    is_p = (role == professional_value).to_numpy(dtype=bool, na_value=False)
    other = ~(is_c | is_p)
    if other.any():
        vals = pd.unique(role[other])[:5]
        raise DataError(
            f"rater column {rater!r} holds {other.sum()} value(s) that are neither "
            f"{client_value!r} nor {professional_value!r} (e.g. {', '.join(repr(v) for v in vals)}) "
            f"in {rows_text(rows[other][:MAX_LISTED_PROBLEMS])}"
        )
    return is_c, is_p


def _side_by_side(
    scores: pd.DataFrame,
    keys: pd.DataFrame,
    is_c: np.ndarray,
    is_p: np.ndarray,
    which: list[tuple[str, str]],
    ids: list[str],
) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """The pairs frame (dyad-wave × pair), the unpaired rows and the number of paired dyad-waves."""
    base = pd.DataFrame({"dyad": keys["dyad"], "_w": keys["wave"].fillna(""), "_pos": np.arange(len(keys))})
    both = base[is_c].merge(
        base[is_p], on=["dyad", "_w"], how="outer", suffixes=("_c", "_p"), indicator=True, sort=False
    )
    paired = both[both["_merge"] == "both"]
    pc = paired["_pos_c"].to_numpy(dtype=np.int64)
    pp = paired["_pos_p"].to_numpy(dtype=np.int64)
    client_vals = float_block(scores.iloc[pc], [c for c, _ in which]).ravel()
    prof_vals = float_block(scores.iloc[pp], [p for _, p in which]).ravel()
    diff = client_vals - prof_vals
    k = len(which)
    pair_frame = pd.DataFrame(
        {
            "dyad": np.repeat(keys["dyad"].to_numpy()[pc], k),
            "wave": np.repeat(keys["wave"].to_numpy()[pc], k),
            "subscale": np.tile(np.asarray(ids, dtype=object), len(paired)),
            "client": client_vals,
            "professional": prof_vals,
            "difference": diff,
            "abs_difference": np.abs(diff),
        },
        columns=PAIR_COLUMNS,
    )
    lonely = both[both["_merge"] != "both"]
    pos = np.where(lonely["_merge"] == "left_only", lonely["_pos_c"], lonely["_pos_p"]).astype(np.int64)
    unpaired = keys.iloc[pos][UNPAIRED_COLUMNS].sort_values("row", kind="stable").reset_index(drop=True)
    return pair_frame, unpaired, len(paired)


def pair_dyads(
    scores: pd.DataFrame,
    *,
    dyad: str,
    rater: str,
    wave: str | None,
    subscales_client: Sequence[str],
    subscales_professional: Sequence[str],
    pairs: Mapping[str, str] | None = None,
    client_value: Any = "client",
    professional_value: Any = "professional",
    rows: Sequence[int] | np.ndarray | None = None,
) -> DyadPairing:
    """Pair the client and professional rows of each dyad (and wave).

    Parameters
    ----------
    scores : pandas.DataFrame
        Long scores, one row per dyad × rater (× wave), e.g. the scoring engine's output.
    dyad, rater : str
        Names of the dyad identifier and rater columns.
    wave : str or None
        Name of the wave column, or ``None`` for a single measurement occasion.
    subscales_client, subscales_professional : sequence of str
        Score columns of each form.
    pairs : mapping client score -> professional score, optional
        Which scores to compare (see :func:`resolve_pairs`); default: the scores on both
        forms (same column), in client-form order. The others are listed in
        ``client_only`` / ``professional_only``.
    client_value, professional_value : default ``"client"``, ``"professional"``
        The values of the rater column that mark the two roles.
    rows : sequence of int, optional
        1-based data row of each row of ``scores`` for messages (default: index + 1).

    Returns
    -------
    DyadPairing

    Raises
    ------
    UsageError
        A named column is missing, or nothing is paired.
    DataError
        An identifier is empty, a rater value is neither role, a score column is not
        numeric, or a dyad (and wave) has more than one row for the same rater: the
        message names the dyad, wave, rater and the data rows.
    """
    sub_c = list(dict.fromkeys(subscales_client))
    sub_p = list(dict.fromkeys(subscales_professional))
    keys_cols = [dyad, rater] + ([wave] if wave is not None else [])
    require_columns(scores, keys_cols + sub_c + sub_p, "pair_dyads")
    which = _which_pairs(sub_c, sub_p, pairs)
    if not which:
        raise UsageError(
            "pair_dyads: the client and professional forms share no subscale "
            f"(client: {', '.join(sub_c) or '-'}; professional: {', '.join(sub_p) or '-'})"
        )
    ids = [pair_id(c, p) for c, p in which]
    client_only = tuple(s for s in sub_c if s not in {c for c, _ in which})
    professional_only = tuple(s for s in sub_p if s not in {p for _, p in which})

    nums = row_numbers(scores, rows)
    check_keys_present(scores, nums, {"dyad": dyad, "rater": rater, **({"wave": wave} if wave else {})})
    is_c, is_p = _roles(scores, rater, nums, client_value, professional_value)
    keys = pd.DataFrame(
        {
            "dyad": scores[dyad].to_numpy(dtype=object),
            "wave": scores[wave].to_numpy(dtype=object)
            if wave is not None
            else np.full(len(scores), None, dtype=object),
            "rater": np.where(is_c, "client", "professional"),
            "row": nums,
        }
    )
    duplicate_error(
        keys, ["dyad", "wave", "rater"], {"dyad": "dyad", "wave": "wave" if wave is not None else "", "rater": "rater"}
    )

    pair_frame, unpaired, n_pairs = _side_by_side(scores, keys, is_c, is_p, which, ids)
    notes = []
    if len(unpaired):
        notes.append(
            f"{len(unpaired)} row(s) have no partner rating for the same dyad"
            + (" and wave" if wave is not None else "")
            + " and are not paired"
        )
    if client_only or professional_only:
        notes.append("scores on one form only are not paired: " + ", ".join([*client_only, *professional_only]))
    return DyadPairing(
        pairs=pair_frame,
        unpaired=unpaired,
        subscales=tuple(ids),
        client_only=client_only,
        professional_only=professional_only,
        n_pairs=n_pairs,
        warnings=tuple(notes),
        score_pairs=tuple(which),
    )
