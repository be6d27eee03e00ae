"""Start-up with a bad configuration stops with exit 2 and a message naming the setting, never a traceback."""

import subprocess

import pytest

from tests.support.browser import MOLI, free_port, moli_env


def _moli(tmp_path, *args, home=None, **env):
    return subprocess.run([*MOLI, *args], capture_output=True, text=True, timeout=120,
                          env=moli_env(home or tmp_path / "home", **env))


@pytest.mark.parametrize("url, words", [
    (f"postgresql+psycopg://moli:secret-pw@127.0.0.1:{free_port()}/moli", "无法连接或打开数据库"),
    ("mysql://moli:secret-pw@127.0.0.1/moli", "不支持的数据库类型"),
    ("sqlite:////proc/no-such-folder/moli.db", "无法使用数据库"),
])
def test_a_database_that_cannot_be_used_names_the_setting_and_hides_the_password(tmp_path, url, words):
    out = _moli(tmp_path, "db", "upgrade", MOLI_DATABASE_URL=url)
    assert out.returncode == 2 and "MOLI_DATABASE_URL" in out.stderr and words in out.stderr
    assert "secret-pw" not in out.stderr and "Traceback" not in out.stderr


def test_a_home_that_cannot_be_written_names_moli_home(tmp_path):
    (tmp_path / "a-file").write_text("x")
    out = _moli(tmp_path, "db", "upgrade", home=tmp_path / "a-file" / "home")
    assert out.returncode == 2 and "MOLI_HOME" in out.stderr and "无法写入" in out.stderr
    assert "Traceback" not in out.stderr


def test_a_redis_url_that_is_not_one_is_refused(tmp_path):
    out = _moli(tmp_path, "worker", MOLI_REDIS_URL="notaurl")
    assert out.returncode == 2 and "MOLI_REDIS_URL" in out.stderr and "redis://" in out.stderr
