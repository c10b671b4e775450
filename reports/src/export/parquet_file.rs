//! A Parquet file of export rows, with parquet's own column writer (no
//! arrow): rows are buffered column by column and written as a row group
//! every [`ROW_GROUP_ROWS`] rows, so memory stays bounded by one group.

use std::io::Write;
use std::sync::Arc;

use parquet::basic::Compression;
use parquet::column::writer::ColumnWriter;
use parquet::data_type::ByteArray;
use parquet::errors::ParquetError;
use parquet::file::properties::WriterProperties;
use parquet::file::writer::{SerializedFileWriter, SerializedRowGroupWriter};
use parquet::schema::parser::parse_message_type;

use super::columns::{Cell, Column, Kind};

/// Rows per row group: about 16 MiB of buffered cells (text is shared
/// between a run's rows), a few hundred runs of the ci suite.
pub const ROW_GROUP_ROWS: usize = 16_384;

/// The values of one column in the current row group, with the definition
/// (and, for maps, repetition) levels Parquet stores beside them.
enum Buffer {
    Text(Vec<ByteArray>, Vec<i16>),
    Int(Vec<i32>, Vec<i16>),
    Long(Vec<i64>, Vec<i16>),
    Double(Vec<f64>),
    Bool(Vec<bool>, Vec<i16>),
    /// Keys, values, definition and repetition levels (shared by both leaves).
    Map(Vec<ByteArray>, Vec<ByteArray>, Vec<i16>, Vec<i16>),
}

impl Buffer {
    fn new(kind: Kind) -> Self {
        match kind {
            Kind::Text => Buffer::Text(Vec::new(), Vec::new()),
            Kind::Int => Buffer::Int(Vec::new(), Vec::new()),
            Kind::Long => Buffer::Long(Vec::new(), Vec::new()),
            Kind::Double => Buffer::Double(Vec::new()),
            Kind::Bool => Buffer::Bool(Vec::new(), Vec::new()),
            Kind::Map => Buffer::Map(Vec::new(), Vec::new(), Vec::new(), Vec::new()),
        }
    }

    fn push(&mut self, cell: Cell) {
        fn optional<T>(values: &mut Vec<T>, def: &mut Vec<i16>, v: Option<T>) {
            def.push(i16::from(v.is_some()));
            values.extend(v);
        }
        match (self, cell) {
            (Buffer::Text(v, d), Cell::Text(x)) => optional(v, d, x),
            (Buffer::Int(v, d), Cell::Int(x)) => optional(v, d, x),
            (Buffer::Long(v, d), Cell::Long(x)) => optional(v, d, x),
            (Buffer::Double(v), Cell::Double(x)) => v.push(x),
            (Buffer::Bool(v, d), Cell::Bool(x)) => optional(v, d, x),
            (Buffer::Map(keys, values, def, rep), Cell::Map(entries)) => {
                // An empty map: the group is there (level 1), no entry.
                if entries.is_empty() {
                    def.push(1);
                    rep.push(0);
                }
                for (i, (k, v)) in entries.into_iter().enumerate() {
                    def.push(2);
                    rep.push(i16::from(i > 0));
                    keys.push(k);
                    values.push(v);
                }
            }
            _ => unreachable!("a column's cells are of its kind (columns.rs)"),
        }
    }
}

impl Buffer {
    /// Writes a column that is one leaf (everything but maps).
    fn write(&self, writer: &mut ColumnWriter<'_>) -> Result<usize, ParquetError> {
        match (writer, self) {
            (ColumnWriter::ByteArrayColumnWriter(w), Buffer::Text(v, d)) => w.write_batch(v, Some(d), None),
            (ColumnWriter::Int32ColumnWriter(w), Buffer::Int(v, d)) => w.write_batch(v, Some(d), None),
            (ColumnWriter::Int64ColumnWriter(w), Buffer::Long(v, d)) => w.write_batch(v, Some(d), None),
            (ColumnWriter::DoubleColumnWriter(w), Buffer::Double(v)) => w.write_batch(v, None, None),
            (ColumnWriter::BoolColumnWriter(w), Buffer::Bool(v, d)) => w.write_batch(v, Some(d), None),
            _ => Err(ParquetError::General("a column's kind differs from the schema".into())),
        }
    }
}

/// Writes the row group's next leaf column with `write`.
fn next_leaf<W: Write + Send>(
    group: &mut SerializedRowGroupWriter<'_, W>,
    write: impl FnOnce(&mut ColumnWriter<'_>) -> Result<usize, ParquetError>,
) -> Result<(), ParquetError> {
    let mut column =
        group.next_column()?.ok_or_else(|| ParquetError::General("the schema has fewer columns".into()))?;
    write(column.untyped())?;
    column.close()
}

/// The Parquet schema of the columns.
fn schema(columns: &[Column]) -> String {
    let fields: Vec<String> = columns
        .iter()
        .map(|(name, kind, _)| match kind {
            Kind::Text => format!("optional binary {name} (STRING);"),
            Kind::Int => format!("optional int32 {name};"),
            Kind::Long => format!("optional int64 {name};"),
            Kind::Double => format!("required double {name};"),
            Kind::Bool => format!("optional boolean {name};"),
            Kind::Map => format!(
                "optional group {name} (MAP) {{ repeated group key_value {{ required binary key (STRING); required binary value (STRING); }} }}"
            ),
        })
        .collect();
    format!("message hwbench {{ {} }}", fields.join(" "))
}

/// Writes rows into a Parquet file.
pub struct Writer<W: Write + Send> {
    file: SerializedFileWriter<W>,
    columns: &'static [Column],
    buffers: Vec<Buffer>,
    rows: usize,
}

impl<W: Write + Send> Writer<W> {
    /// A writer of `columns` into `sink`: Snappy-compressed, dictionary
    /// encoded (the default), statistics per column chunk.
    pub fn new(sink: W, columns: &'static [Column]) -> Result<Self, ParquetError> {
        let schema = Arc::new(parse_message_type(&schema(columns))?);
        let properties = WriterProperties::builder().set_compression(Compression::SNAPPY).build();
        Ok(Self {
            file: SerializedFileWriter::new(sink, schema, Arc::new(properties))?,
            columns,
            buffers: columns.iter().map(|(_, kind, _)| Buffer::new(*kind)).collect(),
            rows: 0,
        })
    }

    /// Adds one row: the cell of every column, in column order.
    pub fn push(&mut self, cells: impl Iterator<Item = Cell>) -> Result<(), ParquetError> {
        for (buffer, cell) in self.buffers.iter_mut().zip(cells) {
            buffer.push(cell);
        }
        self.rows += 1;
        if self.rows == ROW_GROUP_ROWS {
            self.flush()?;
        }
        Ok(())
    }

    /// Writes the buffered rows as a row group.
    fn flush(&mut self) -> Result<(), ParquetError> {
        if self.rows == 0 {
            return Ok(());
        }
        let mut group = self.file.next_row_group()?;
        let empty = self.columns.iter().map(|(_, kind, _)| Buffer::new(*kind)).collect();
        for buffer in std::mem::replace(&mut self.buffers, empty) {
            match &buffer {
                // A map is two leaf columns, key and value, with the same levels.
                Buffer::Map(keys, values, def, rep) => {
                    for leaf in [keys, values] {
                        next_leaf(&mut group, |w| match w {
                            ColumnWriter::ByteArrayColumnWriter(w) => w.write_batch(leaf, Some(def), Some(rep)),
                            _ => Err(ParquetError::General("map leaves are text".into())),
                        })?;
                    }
                }
                plain => next_leaf(&mut group, |w| plain.write(w))?,
            }
        }
        group.close()?;
        self.rows = 0;
        Ok(())
    }

    /// Writes the last row group and the footer; returns the sink.
    pub fn finish(mut self) -> Result<W, ParquetError> {
        self.flush()?;
        self.file.into_inner()
    }
}
