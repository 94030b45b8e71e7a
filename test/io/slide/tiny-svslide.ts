/**
 * A tiny Sakura SVSlide writer for tests (no vendor sample is available here), following the
 * tables OpenSlide 3.4 reads. An SVSlide is one SQLite database (built here with sql.js,
 * SQLite compiled to WebAssembly, so no native module):
 *  - DataManagerSQLiteConfigXPO: one row naming the "unique table" of blobs (id, size, data);
 *  - the unique table: '++MagicBytes' = 'SVGigaPixelImage', '++VersionBytes', 'Header'
 *    (little-endian uint32 tile size, image width, height, bits, focal planes, channels) and the
 *    tiles, one grayscale JPEG per colour channel, id 'T;x|y;downsample;channel;plane' with x, y
 *    the tile's level-0 top-left corner;
 *  - tile: the same tiles by (PYRAMIDLEVEL = downsample, COLUMNINDEX = x, ROWINDEX = y,
 *    COLORINDEX 0/1/2 for red/green/blue, TILEID), as real files have it; OpenSlide 3.4.0 read
 *    it, 3.4.1 goes by the ids alone (this slide opens with the table empty too);
 *  - SVSlideDataXPO / SVHRScanDataXPO / SVScannedImageDataXPO: slide and scan metadata
 *    (ResolutionMmPerPix, NominalLensMagnification), the label and macro images.
 */
import initSqlJs from 'sql.js';

export interface SakuraTile {
  downsample: number;
  /** Level-0 pixel of the tile's top-left corner. */
  x: number;
  y: number;
  /** Grayscale JPEGs of the red, green and blue channels, tileSize x tileSize each. */
  channels: [Uint8Array, Uint8Array, Uint8Array];
}

export interface SakuraSlide {
  tileSize: number;
  width: number;
  height: number;
  mmPerPixel: number;
  magnification: number;
  tiles: SakuraTile[];
  label?: Uint8Array;
  macro?: Uint8Array;
  thumbnail?: Uint8Array;
  slideId?: string;
  date?: string;
}

const UNIQUE = 'SVSlideData_0123';

/** The SQLite database bytes of a Sakura slide. */
export async function svslide(s: SakuraSlide): Promise<Uint8Array> {
  const SQL = await initSqlJs();
  const db = new SQL.Database();
  try {
    db.run('CREATE TABLE DataManagerSQLiteConfigXPO (OID INTEGER PRIMARY KEY, TableName TEXT)');
    db.run('INSERT INTO DataManagerSQLiteConfigXPO VALUES (1, ?)', [UNIQUE]);
    db.run(`CREATE TABLE "${UNIQUE}" (id TEXT PRIMARY KEY, size INTEGER, data BLOB)`);
    const blob = (id: string, data: Uint8Array | string) =>
      db.run(`INSERT INTO "${UNIQUE}" VALUES (?, ?, ?)`, [id, data.length, data]);
    blob('++MagicBytes', 'SVGigaPixelImage');
    blob('++VersionBytes', '1.0.0');
    const header = new Uint8Array(24);
    const hv = new DataView(header.buffer);
    [s.tileSize, s.width, s.height, 8, 1, 3].forEach((v, i) => hv.setUint32(i * 4, v, true));
    blob('Header', header);
    db.run('CREATE TABLE tile (TILEID TEXT, PYRAMIDLEVEL INTEGER, COLUMNINDEX INTEGER, ROWINDEX INTEGER, COLORINDEX INTEGER)');
    for (const t of s.tiles) {
      t.channels.forEach((jpeg, c) => {
        const id = `T;${t.x}|${t.y};${t.downsample};${c};0`;
        blob(id, jpeg);
        db.run('INSERT INTO tile VALUES (?, ?, ?, ?, ?)', [id, t.downsample, t.x, t.y, c]);
      });
    }
    db.run('CREATE TABLE SVScannedImageDataXPO (OID INTEGER PRIMARY KEY, Id TEXT, ResolutionMmPerPix REAL, Image BLOB, ThumbnailImage BLOB)');
    const image = (oid: number, jpeg: Uint8Array | undefined) => {
      if (jpeg) db.run('INSERT INTO SVScannedImageDataXPO VALUES (?, ?, 0.01, ?, NULL)', [oid, `image-${oid}`, jpeg]);
      return jpeg ? oid : null;
    };
    const labelOid = image(1, s.label), macroOid = image(2, s.macro);
    db.run('CREATE TABLE SVSlideDataXPO (OID INTEGER PRIMARY KEY, m_labelScan INTEGER, m_overviewScan INTEGER, SlideId TEXT, Date TEXT, '
      + 'Description TEXT, Creator TEXT, DiagnosisCode TEXT, HRScanCount INTEGER, Keywords TEXT, TotalDataSizeBytes INTEGER)');
    // Text columns are never NULL: OpenSlide 3.4 reads each as a string.
    db.run('INSERT INTO SVSlideDataXPO VALUES (1, ?, ?, ?, ?, ?, ?, ?, 1, ?, 0)',
      [labelOid, macroOid, s.slideId ?? 'slide-1', s.date ?? '', 'test slide', 'focuslite', '0', '']);
    db.run('CREATE TABLE SVHRScanDataXPO (OID INTEGER PRIMARY KEY, ParentSlide INTEGER, ScanId TEXT, Date TEXT, Description TEXT, Name TEXT, '
      + 'ResolutionMmPerPix REAL, NominalLensMagnification REAL, ThumbnailImage BLOB, TotalDataSizeBytes INTEGER, FocussingMethod TEXT)');
    db.run('INSERT INTO SVHRScanDataXPO VALUES (1, 1, ?, ?, ?, ?, ?, ?, ?, 0, ?)',
      ['scan-1', s.date ?? '', '', 'scan', s.mmPerPixel, s.magnification, s.thumbnail ?? null, '1']);
    return db.export();
  } finally {
    db.close();
  }
}
