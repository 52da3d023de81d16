"""``seqdesign round DIR``: the campaign form of `round` (see seqdesign/campaign/rounds.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from seqdesign.cli.common import (
    AcquisitionChoice,
    Budget,
    DeviceChoice,
    GeneratorChoice,
    log,
    progress_bars,
    set_threads,
    settings_from_options,
    split_config,
)
from seqdesign.errors import ConfigError


def campaign_round(
    directory: Path,
    n: int,
    output: str | None,
    flags: dict[str, Any],
    generator: GeneratorChoice | None,
    acquisition: AcquisitionChoice | None,
    kappa: float | None,
    seed: int | None,
    device: DeviceChoice,
    config: Path | None,
    budget: Budget,
    round_index: int | None,
    exclude: Path | None,
    wait: float,
    quiet: bool,
    constraint_flags: dict[str, Any] | None = None,
) -> None:
    """Run the next round of the campaign in ``directory`` under its lock.

    Args:
        flags: the round's command options that the campaign also stores (alphabet, length
            range, objective, and any later one, e.g. constraints); None means "not given".
        constraint_flags: the round's constraint options (``fixed``, ``gc``, ...), layered on
            the campaign's stored ``[constraints]`` and the --config file's.
        Others: as ``round_command``.
    """
    from seqdesign.campaign import Campaign, CampaignLock
    from seqdesign.config import check_seed, load_toml

    if output is not None:
        raise ConfigError(
            f"-o {output}: a campaign round writes {directory}/rounds/round_NNN.fasta; for a "
            f"copy use seqdesign export {directory} --round N -o FILE"
        )
    Campaign.open(directory).close()  # a missing or broken campaign is reported before waiting
    loaded = load_toml(config) if config else {}
    config_constraints = loaded.pop("constraints", {})
    table, from_config = split_config(loaded, str(config))
    from_config.pop("round", None)  # a record of an earlier round's settings file
    config_seed = from_config.pop("seed", None)
    if seed is not None or config_seed is not None:
        where = "--seed" if seed is not None else f"{config}: seed ="
        check_seed(seed if seed is not None else config_seed, where, ledger=True)
    with CampaignLock(directory, wait), Campaign.open(directory) as campaign:
        from seqdesign.campaign.rounds import (
            finish_pending,
            remove_stale_files,
            restore_missing_files,
            run_campaign_round,
        )
        from seqdesign.campaign.settings import merge_settings

        set_threads()
        remove_stale_files(campaign)
        finished = finish_pending(campaign)
        if finished:
            log.warning(
                "round %s was committed by a run that stopped before writing its files; wrote "
                "them (%s); run round again for the next round",
                ", ".join(map(str, finished)),
                campaign.round_path(finished[-1], ".fasta"),
            )
            return
        restored = restore_missing_files(campaign)
        if restored:
            log.warning(
                "rewrote the missing files of round(s) %s from the ledger",
                ", ".join(map(str, restored)),
            )
        index = campaign.next_round()
        if round_index is not None and round_index != index:
            raise ConfigError(
                f"--round {round_index}: the next round of campaign {directory} is {index}"
            )
        merged = merge_settings(
            campaign.settings, {**from_config, **flags, "config": table or None}
        )
        settings = settings_from_options(
            merged.get("config") or {},
            str(config or "campaign settings"),
            budget,
            generator,
            acquisition,
            kappa,
            device,
        )
        from seqdesign.cli.constraint_options import build_constraints

        constraints = build_constraints(
            {**merged.get("constraints", {}), **config_constraints},
            str(config or "campaign settings"),
            campaign.alphabet,
            **(constraint_flags or {}),
        )
        if not constraints.empty:
            log.info("constraints: %s", constraints.describe())
        excluded: set[str] = set()
        if exclude is not None:
            from seqdesign.cli.round import read_exclude

            excluded = read_exclude(exclude, campaign.alphabet)
        log.debug(
            "campaign %s: round %d; objectives %s; generator %s",
            directory,
            index,
            ", ".join(merged["objective"]),
            settings.generator,
        )
        round_seed = seed if seed is not None else config_seed
        with progress_bars(quiet) as progress:
            outcome = run_campaign_round(
                campaign, n, settings, merged, excluded, round_seed, progress, constraints
            )
        m = outcome.proxy_metrics
        log.info(
            "round %d: %d proposed from %d measured sequences in %.1f s (seed %d) -> %s; proxy "
            "held-out spearman %.3f",
            outcome.index,
            n,
            outcome.measured,
            outcome.seconds,
            outcome.seed,
            outcome.paths[0],
            m.get("heldout_spearman", float("nan")),
        )
