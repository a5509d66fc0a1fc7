pub mod reads;
