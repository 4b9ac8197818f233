"""The training schedule and the evaluation sampler come from scripts/reference's port of diffusers."""
import json
import os
import unittest

try:
    import torch  # noqa: F401

    from petalflow_train import common
except ImportError:  # torch is only on machines that train
    common = None

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@unittest.skipIf(common is None, "needs Debian's python3-torch")
class ScheduleTest(unittest.TestCase):
    def test_stable_diffusion_alpha_bar(self):
        ac = common.alphas_cumprod()
        self.assertEqual(ac.shape[0], 1000)
        # SD 1.x scaled_linear: sqrt(ᾱ_999) = 0.068265 (the published final signal rate), ᾱ_0 = 1 − β_0.
        self.assertAlmostEqual(float(ac[-1]) ** 0.5, 0.068265, delta=1e-5)
        self.assertAlmostEqual(float(ac[0]), 1 - 0.00085, delta=1e-12)
        self.assertTrue(bool((ac[1:] < ac[:-1]).all()))

    def test_ddim_timesteps_are_diffusers_leading_with_offset(self):
        # diffusers' DDIMScheduler(steps_offset=1, timestep_spacing="leading").set_timesteps(25)
        self.assertEqual([int(t) for t in common.ddim(25).timesteps], list(range(961, 0, -40)))

    def test_ddim_step_recovers_x0_when_eps_is_known(self):
        # x_t = sqrt(ᾱ_t)·x0 + sqrt(1−ᾱ_t)·ε with the true ε: one DDIM step lands on the forward process at t_prev.
        import numpy as np

        ac = common.alphas_cumprod().numpy()
        sched = common.ddim(25)
        x0, eps = np.linspace(-1, 1, 16), np.cos(np.arange(16.0))
        t, t_prev = int(sched.timesteps[3]), int(sched.timesteps[4])
        x_t = ac[t] ** 0.5 * x0 + (1 - ac[t]) ** 0.5 * eps
        expected = ac[t_prev] ** 0.5 * x0 + (1 - ac[t_prev]) ** 0.5 * eps
        np.testing.assert_allclose(sched.step(eps, 3, x_t), expected, rtol=0, atol=1e-12)

    def test_the_shipped_model_says_the_same_schedule(self):
        path = os.path.join(REPO, "models", "petalflow-shapes", "scheduler", "scheduler_config.json")
        with open(path) as f:
            cfg = json.load(f)
        for key in ("num_train_timesteps", "beta_start", "beta_end", "beta_schedule", "steps_offset",
                    "timestep_spacing", "prediction_type"):
            with self.subTest(key=key):
                self.assertEqual(cfg[key], common.SCHEDULE[key])


if __name__ == "__main__":
    unittest.main()
