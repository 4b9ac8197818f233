"""settings.py: one typed record from a profile plus checked PF_* overrides (standard library only)."""
import unittest

from petalflow_train.settings import PROFILES, SettingsError, load_settings


class SettingsTest(unittest.TestCase):
    def test_full_profile_by_default(self):
        s = load_settings({})
        self.assertEqual(s.profile, "full")
        self.assertEqual(s.unet_steps, PROFILES["full"]["unet_steps"])
        self.assertEqual((s.seed, s.ckpt_every_s, s.threads, s.unet_deadline), (1234, 180.0, 2, None))

    def test_overrides_are_typed(self):
        s = load_settings({"PF_PROFILE": "smoke", "PF_UNET_STEPS": "20", "PF_CKPT_EVERY_S": "5.5",
                           "PF_UNET_DEADLINE": "16:05", "PF_SEED": "0"})
        self.assertEqual(s.profile, "smoke")
        self.assertEqual(s.n_images, PROFILES["smoke"]["n_images"])
        self.assertIs(type(s.unet_steps), int)
        self.assertEqual(s.unet_steps, 20)
        self.assertEqual(s.ckpt_every_s, 5.5)
        self.assertEqual(s.unet_deadline, "16:05")
        self.assertEqual(s.seed, 0)

    def test_bad_values_name_the_variable(self):
        cases = {
            "PF_UNET_STEPS": ("abc", "positive integer"),
            "PF_VAE_BATCH": ("0", "positive integer"),
            "PF_SEED": ("-1", "non-negative integer"),
            "PF_CKPT_EVERY_S": ("-3", "positive number"),
            "PF_UNET_DEADLINE": ("25:00", "HH:MM"),
            "PF_PROFILE": ("fast", "one of full, smoke"),
        }
        for var, (value, expected) in cases.items():
            with self.subTest(var=var):
                with self.assertRaises(SettingsError) as ctx:
                    load_settings({var: value})
                self.assertIn(var, str(ctx.exception))
                self.assertIn(expected, str(ctx.exception))
                self.assertIn(repr(value), str(ctx.exception))

    def test_a_misspelt_variable_is_refused(self):
        with self.assertRaises(SettingsError) as ctx:
            load_settings({"PF_UNET_STEP": "3"})
        self.assertIn("PF_UNET_STEP", str(ctx.exception))
        self.assertIn("PF_UNET_STEPS", str(ctx.exception))  # the list of known names shows the right one

    def test_settings_are_immutable(self):
        with self.assertRaises(AttributeError):
            load_settings({}).unet_steps = 1


if __name__ == "__main__":
    unittest.main()
