"""Plotting helpers shared by the notebooks: schedules, 2-D points and densities, trajectories, images.

matplotlib is imported inside each function, so ``import ddim_ref.plot`` costs nothing and
``import ddim_ref`` never pulls it in. Every helper draws on ``ax`` (a new figure when omitted)
and returns what it drew on, so a notebook cell can end with ``plt.show()``. The pure helpers
(``tile_images``, ``loglog_slope``) need no matplotlib at all.

Notation as in the package (ᾱ is DDPM's; the DDIM paper writes α): a state x_t has noise level
ᾱ_t; a :class:`~ddim_ref.samplers.Trajectory` holds the S + 1 states of one run.
"""
from __future__ import annotations

import numpy as np

from .schedules import alpha_bars as _alpha_bars
from .schedules import log_snr

PANEL = (3.2, 3.0)  # inches per panel: the course's figure size


def _plt():
    import matplotlib.pyplot as plt

    return plt


def use_style(dpi: int = 110):
    """The course's matplotlib defaults: 110 dpi, readable legends, light grid, no top/right spines."""
    plt = _plt()
    plt.rcParams.update({"figure.dpi": dpi, "savefig.dpi": dpi, "font.size": 9, "axes.titlesize": 10,
                         "axes.labelsize": 9, "legend.fontsize": 8, "axes.grid": True, "grid.alpha": 0.3,
                         "axes.spines.top": False, "axes.spines.right": False, "image.cmap": "viridis"})


def subplots(ncols: int = 1, nrows: int = 1, panel=PANEL, **kwargs):
    """``plt.subplots`` sized ``panel`` inches per axes; ``axes`` is always a flat array."""
    plt = _plt()
    fig, axes = plt.subplots(nrows, ncols, figsize=(panel[0] * ncols, panel[1] * nrows), squeeze=False,
                             constrained_layout=True, **kwargs)
    return fig, axes.ravel()


def _ax(ax, panel=PANEL):
    return subplots(panel=panel)[1][0] if ax is None else ax


def _points(x, who: str) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] != 2:
        raise ValueError(f"{who} needs 2-D points of shape (n, 2), got shape {x.shape}")
    return x


# ---------------------------------------------------------------- schedules and timesteps
def plot_schedules(betas_by_name: dict, axes=None):
    """Three panels against t/T: β_t, ᾱ_t and log-SNR λ_t = log(ᾱ_t/(1−ᾱ_t)), one line per schedule."""
    if not betas_by_name:
        raise ValueError("plot_schedules needs at least one schedule: {name: betas}")
    axes = subplots(3)[1] if axes is None else axes
    for name, betas in betas_by_name.items():
        betas = np.asarray(betas, dtype=np.float64)
        ab = _alpha_bars(betas)
        u = (np.arange(len(betas)) + 1) / len(betas)
        axes[0].plot(u, betas, label=name)
        axes[1].plot(u, ab, label=name)
        axes[2].plot(u, log_snr(ab), label=name)
    for ax, title in zip(axes, ("β_t", "ᾱ_t  (the DDIM paper's α_t)", "log-SNR  log(ᾱ/(1−ᾱ))"), strict=True):
        ax.set(title=title, xlabel="t / T")
    axes[0].set_yscale("log")
    axes[2].legend(fontsize=7)
    return axes


def plot_timesteps(timesteps_by_name: dict, num_train_steps: int, alpha_bars=None, ax=None):
    """One row of ticks per named sequence τ: where the sampler evaluates the model in [0, T).

    With ``alpha_bars`` the x-axis is log-SNR at each τ_i instead of t.
    """
    ax = _ax(ax, (2 * PANEL[0], 0.4 * PANEL[1] + 0.35 * len(timesteps_by_name)))
    names = list(timesteps_by_name)
    for row, name in enumerate(names):
        ts = np.asarray(timesteps_by_name[name])
        pos = ts if alpha_bars is None else log_snr(np.asarray(alpha_bars)[ts])
        ax.plot(pos, np.full(len(ts), row), "|", markersize=14, markeredgewidth=2)
    ax.set_yticks(range(len(names)), names)
    ax.set_ylim(len(names) - 0.5, -0.5)
    if alpha_bars is None:
        ax.set(xlim=(-0.02 * num_train_steps, 1.02 * num_train_steps), xlabel="timestep t")
    else:
        ax.set(xlabel="log-SNR at τ_i")
    return ax


# ---------------------------------------------------------------- 2-D points, densities, trajectories
def _square(ax, lim, title):
    """Equal aspect, limits [−lim, lim]² (unless ``lim`` is None) and an optional title."""
    if lim is not None:
        ax.set(xlim=(-lim, lim), ylim=(-lim, lim))
    ax.set_aspect("equal")
    if title is not None:
        ax.set_title(title)
    return ax


def scatter_2d(points, ax=None, title=None, lim=3.5, s=2, alpha=0.5, **kwargs):
    """Scatter (n, 2) points on a square [−lim, lim]² with equal aspect."""
    x = _points(points, "scatter_2d")
    ax = _ax(ax)
    ax.scatter(x[:, 0], x[:, 1], s=s, alpha=alpha, linewidths=0, **kwargs)
    return _square(ax, lim, title)


def density_grid(mixture, alpha_bar=1.0, lim=3.5, n=100):
    """(xs, ys, p): the density of x_t at level ᾱ on an n×n grid over [−lim, lim]², from ``log_prob``."""
    xs = ys = np.linspace(-lim, lim, n)
    grid = np.stack(np.meshgrid(xs, ys), axis=-1)  # (n, n, 2), grid[i, j] = (xs[j], ys[i])
    return xs, ys, np.exp(mixture.log_prob(grid, alpha_bar))


def plot_density(mixture, ax=None, alpha_bar=1.0, lim=3.5, n=100, title=None, cmap="Greys", **kwargs):
    """Shade the density of x_t ~ q_t (the data at ᾱ = 1) of a 2-D mixture with ``log_prob``."""
    xs, ys, p = density_grid(mixture, alpha_bar, lim, n)
    ax = _ax(ax)
    ax.imshow(p, origin="lower", extent=(-lim, lim, -lim, lim), cmap=cmap, interpolation="bilinear", **kwargs)
    ax.grid(False)
    return _square(ax, None, title)


def plot_trajectories(traj, ax=None, num_paths=64, lim=3.5, color="C0", title=None, linewidth=0.6):
    """Draw the paths of the first ``num_paths`` points through every state of a 2-D trajectory.

    ``traj`` is a :class:`Trajectory` (its ``.x``, shape (S+1, n, 2)) or such an array.
    Start points (x_T) are open circles, end points (x_0) filled dots.
    """
    xs = np.asarray(getattr(traj, "x", traj), dtype=np.float64)
    if xs.ndim != 3 or xs.shape[2] != 2:
        raise ValueError(f"plot_trajectories needs states of shape (S+1, n, 2), got {xs.shape}")
    xs = xs[:, :num_paths]
    ax = _ax(ax)
    ax.plot(xs[:, :, 0], xs[:, :, 1], color=color, alpha=0.5, linewidth=linewidth)
    ax.scatter(xs[0, :, 0], xs[0, :, 1], s=10, facecolors="none", edgecolors=color, linewidths=0.6)
    ax.scatter(xs[-1, :, 0], xs[-1, :, 1], s=8, color=color)
    return _square(ax, lim, title)


def plot_vector_field(field, ax=None, lim=3.5, n=25, title=None, color="C0", normalize=False, **kwargs):
    """Arrows of a 2-D vector field on an n×n grid over [−lim, lim]²; ``field(points (m, 2)) -> (m, 2)``.

    E.g. the exact score ∇ log p_t(x) of a mixture (``mixture.score(x, alpha_bar)``), or −ε̂, which points
    the same way scaled by √(1−ᾱ). ``normalize`` draws unit arrows coloured by length instead.
    """
    xs = np.linspace(-lim, lim, n)
    grid = np.stack(np.meshgrid(xs, xs), axis=-1).reshape(-1, 2)
    v = np.asarray(field(grid), dtype=np.float64)
    if v.shape != grid.shape:
        raise ValueError(f"field must map (m, 2) points to (m, 2) vectors, got {v.shape}")
    ax = _ax(ax)
    if normalize:
        length = np.linalg.norm(v, axis=1)
        unit = v / np.where(length > 0, length, 1)[:, None]
        ax.quiver(grid[:, 0], grid[:, 1], unit[:, 0], unit[:, 1], np.log10(length + 1e-12), angles="xy",
                  cmap=kwargs.pop("cmap", "viridis"), **kwargs)
    else:
        ax.quiver(grid[:, 0], grid[:, 1], v[:, 0], v[:, 1], color=color, angles="xy", **kwargs)
    return _square(ax, lim, title)


def animate_trajectory(traj, mixture, path, num_paths=200, lim=3.5, width_px=560, fps=8, color="C3"):
    """Write a GIF of a 2-D trajectory: the points at each state over the exact density p_t of that state.

    ``traj`` is a :class:`Trajectory` (its ``x`` and ``alpha_bar``); each frame shades
    ``mixture``'s density at the frame's ᾱ under the moving points, so one sees p_T → p_data.
    The image is ``width_px`` wide (square). Returns the path.
    """
    from matplotlib import animation

    plt = _plt()
    xs = np.asarray(traj.x, dtype=np.float64)[:, :num_paths]
    levels = np.asarray(traj.alpha_bar, dtype=np.float64)
    if xs.ndim != 3 or xs.shape[2] != 2 or len(levels) != len(xs):
        raise ValueError(f"animate_trajectory needs a 2-D Trajectory, got states of shape {xs.shape}")
    dpi = 80
    fig, ax = plt.subplots(figsize=(width_px / dpi, width_px / dpi), dpi=dpi)
    _, _, p0 = density_grid(mixture, levels[0], lim)
    image = ax.imshow(p0, origin="lower", extent=(-lim, lim, -lim, lim), cmap="Greys", interpolation="bilinear")
    dots = ax.scatter(xs[0, :, 0], xs[0, :, 1], s=8, color=color)
    _square(ax, lim, None)
    ax.grid(False)

    def frame(k):
        _, _, p = density_grid(mixture, levels[k], lim)
        image.set_data(p)
        image.set_clim(0, p.max())
        dots.set_offsets(xs[k])
        ax.set_title(f"state {k} of {len(xs) - 1}:  ᾱ = {levels[k]:.3g}")
        return image, dots

    movie = animation.FuncAnimation(fig, frame, frames=len(xs), blit=False)
    movie.save(path, writer=animation.PillowWriter(fps=fps), dpi=dpi)
    plt.close(fig)
    return path


def markdown_table(header, rows):
    """A markdown table (cells as given) for ``IPython.display.Markdown``: notebooks render tables, not stdout."""
    lines = ["| " + " | ".join(map(str, header)) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(map(str, r)) + " |" for r in rows])


# ---------------------------------------------------------------- images
def tile_images(images, ncols: int | None = None, pad: int = 1, pad_value: float = 1.0) -> np.ndarray:
    """Tile (n, H, W), (n, 1, H, W) or RGB (n, 3, H, W) images into one (H', W') or (H', W', 3) array,
    row by row, ``pad`` pixels apart."""
    x = np.asarray(images, dtype=np.float64)
    rgb = x.ndim == 4 and x.shape[1] == 3
    if x.ndim == 4 and x.shape[1] in (1, 3):
        x = x.transpose(0, 2, 3, 1) if rgb else x[:, 0]  # (n, H, W, 3) or (n, H, W)
    if x.ndim != 3 + rgb or len(x) == 0:
        raise ValueError(f"tile_images needs images of shape (n, H, W) or (n, 1 or 3, H, W), got {np.shape(images)}")
    n, H, W = x.shape[:3]
    ncols = int(np.ceil(n**0.5)) if ncols is None else ncols
    if ncols < 1:
        raise ValueError(f"ncols must be >= 1, got {ncols}")
    nrows = -(-n // ncols)
    out = np.full((nrows * (H + pad) - pad, ncols * (W + pad) - pad, *x.shape[3:]), pad_value, dtype=np.float64)
    for i, img in enumerate(x):
        r, c = divmod(i, ncols)
        out[r * (H + pad):r * (H + pad) + H, c * (W + pad):c * (W + pad) + W] = img
    return out


def image_grid(images, ax=None, ncols=None, title=None, vmin=0.0, vmax=1.0, pad=1, inches_per_pixel=1 / 20):
    """Show grey images (n, [1,] H, W) or RGB images (n, 3, H, W) as one grid; values outside [vmin, vmax] saturate.

    Without ``ax`` the new figure is sized to the grid, ``inches_per_pixel`` per pixel.
    """
    tiled = tile_images(images, ncols, pad, pad_value=vmax)
    if ax is None:
        h, w = tiled.shape[:2]
        ax = _ax(None, (w * inches_per_pixel, h * inches_per_pixel + (0.3 if title else 0)))
    if tiled.ndim == 3:  # RGB: imshow takes [0, 1]
        ax.imshow(((tiled - vmin) / (vmax - vmin)).clip(0, 1), interpolation="nearest")
    else:
        ax.imshow(tiled, cmap="gray", vmin=vmin, vmax=vmax, interpolation="nearest")
    ax.set_axis_off()
    if title is not None:
        ax.set_title(title)
    return ax


# ---------------------------------------------------------------- convergence plots
def loglog_slope(x, y) -> float:
    """Least-squares slope of log y against log x: the order p in y ≈ C x^p."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if x.shape != y.shape or x.ndim != 1 or len(x) < 2:
        raise ValueError(f"loglog_slope needs two 1-D arrays of equal length >= 2, got {x.shape} and {y.shape}")
    if np.any(x <= 0) or np.any(y <= 0):
        raise ValueError("loglog_slope needs positive x and y (it fits log y = p log x + c)")
    return float(np.polyfit(np.log(x), np.log(y), 1)[0])


def plot_convergence(steps, errors_by_name: dict, ax=None, xlabel="number of steps S", ylabel="error"):
    """Log-log error against step count, one line per method, each labelled with its fitted slope."""
    ax = _ax(ax)
    for name, err in errors_by_name.items():
        ax.loglog(steps, err, "o-", markersize=3, label=f"{name} (slope {loglog_slope(steps, err):.2f})")
    ax.set(xlabel=xlabel, ylabel=ylabel)
    ax.legend(fontsize=7)
    return ax


__all__ = ["use_style", "subplots", "plot_schedules", "plot_timesteps", "scatter_2d", "density_grid",
           "plot_density", "plot_trajectories", "plot_vector_field", "animate_trajectory", "markdown_table",
           "tile_images", "image_grid", "loglog_slope", "plot_convergence"]
